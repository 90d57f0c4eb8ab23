// Interpreter discovery against real programs: the python3 on this machine, and scripts
// that pretend to be an old Python or are missing.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { findPython, serverCommand, SetupError } from "../src/bootstrap";

function script(body: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "finetune-vscode-")), "python");
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test("python3 on PATH is found and is 3.10+", async () => {
  const found = await findPython({ platform: "linux" }, () => undefined);
  assert.equal(found.candidate.source, "path");
  assert.match(found.version, /^3\.(1\d|[2-9]\d)\./);
});

test("a Python extension's interpreter that is too old is passed over for PATH's", async () => {
  const old = script("echo 3.8.10");
  const lines: string[] = [];
  const found = await findPython({ pythonExtension: old, platform: "linux" }, (line) => lines.push(line));
  assert.equal(found.candidate.source, "path");
});

test("a broken interpreter setting is an error naming it and what to do", async () => {
  const old = script("echo 3.9.2");
  await assert.rejects(findPython({ setting: old, pythonExtension: "python3" }, () => undefined), (error: unknown) => {
    assert.ok(error instanceof SetupError);
    assert.match(error.message, /3\.9\.2 is older than 3\.10/);
    assert.match(error.message, /finetune\.server\.interpreter/);
    assert.match(error.hint, /install Python 3\.10\+/);
    return true;
  });
  await assert.rejects(findPython({ setting: "/nonexistent/python" }, () => undefined), /does not run/);
});

test("a server path that does not exist, or no wheel, says what to do", async () => {
  await assert.rejects(serverCommand({ serverPath: "/nonexistent/finetune-ls", sources: {}, storage: tmpdir(), logLevel: "info" },
    () => undefined), (error: unknown) => error instanceof SetupError && /does not exist/.test(error.message));
  await assert.rejects(serverCommand({ sources: {}, storage: tmpdir(), logLevel: "info" }, () => undefined),
    (error: unknown) => error instanceof SetupError && /pip install finetune-ls/.test(error.hint));
});

test("an existing server path is run with serve and the log level", async () => {
  const server = script("exit 0");
  const command = await serverCommand({ serverPath: server, sources: {}, storage: tmpdir(), logLevel: "debug" }, () => undefined);
  assert.deepEqual(command.args, ["serve", "--log-level", "debug"]);
  assert.equal(command.command, server);
});
