// Interpreter discovery and the private environment against real programs: the python3 on
// this machine, scripts that pretend to be an old Python or are missing, and a stand-in
// Python that records what it is asked to do.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ensureVenv, findPython, serverCommand, serverExtras, SetupError } from "../src/bootstrap";

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

// A stand-in Python that records its calls: `-m venv DIR` makes DIR/bin/python (itself),
// `-m pip` succeeds unless FAKE_PIP_FAIL is set.
const FAKE_PYTHON = `
echo "$0 $*" >> "$FAKE_PY_LOG"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ] && [ -n "$FAKE_PIP_FAIL" ]; then echo "no route to the index" >&2; exit 1; fi
exit 0`;

function calls(log: string): string[] {
  try {
    return readFileSync(log, "utf8").trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

test("the private environment is made once, updated for a new wheel, remade for a new interpreter", async () => {
  const folder = mkdtempSync(join(tmpdir(), "finetune-venv-"));
  const log = join(folder, "calls.log");
  process.env.FAKE_PY_LOG = log;
  const python = script(FAKE_PYTHON);
  const venv = join(folder, "venv");
  const lines: string[] = [];

  const inside = await ensureVenv(python, venv, "/x/finetune_ls-0.1.0-py3-none-any.whl", (line) => lines.push(line));
  assert.equal(inside, join(venv, "bin", "python"));
  assert.deepEqual(calls(log).map((call) => call.split(" ").slice(1, 3).join(" ")), ["-m venv", "-m pip"]);
  assert.match(calls(log)[1], /pip install .*--upgrade \/x\/finetune_ls-0\.1\.0-py3-none-any\.whl$/);

  await ensureVenv(python, venv, "/x/finetune_ls-0.1.0-py3-none-any.whl", () => undefined);
  assert.equal(calls(log).length, 2, "nothing to do the second time");

  await ensureVenv(python, venv, "/x/finetune_ls-0.2.0-py3-none-any.whl", () => undefined);
  assert.equal(calls(log).length, 3, "a new wheel: installed into the same environment");
  assert.match(calls(log)[2], /finetune_ls-0\.2\.0/);

  const other = script(FAKE_PYTHON);
  await ensureVenv(other, venv, "/x/finetune_ls-0.2.0-py3-none-any.whl", (line) => lines.push(line));
  assert.match(calls(log)[3], new RegExp(`^${other} -m venv`), "another interpreter: the environment is made again");
  assert.ok(lines.some((line) => line.includes("interpreter changed")));
  delete process.env.FAKE_PY_LOG;
});

test("a failed install says what to run", async () => {
  const folder = mkdtempSync(join(tmpdir(), "finetune-venv-"));
  process.env.FAKE_PY_LOG = join(folder, "calls.log");
  process.env.FAKE_PIP_FAIL = "1";
  const lines: string[] = [];
  try {
    await assert.rejects(ensureVenv(script(FAKE_PYTHON), join(folder, "venv"), "/x/finetune_ls-0.1.0-py3-none-any.whl",
      (line) => lines.push(line)), (error: unknown) => {
      assert.ok(error instanceof SetupError);
      assert.match(error.message, /could not install the server/);
      assert.match(error.hint, /-m pip install \/x\/finetune_ls-0\.1\.0-py3-none-any\.whl/);
      return true;
    });
    assert.ok(lines.some((line) => line.includes("no route to the index")), "the log has pip's own words");
  } finally {
    delete process.env.FAKE_PY_LOG;
    delete process.env.FAKE_PIP_FAIL;
  }
});

test("the azure extra is installed for provider azure, once, and kept when it is no longer asked for", async () => {
  const folder = mkdtempSync(join(tmpdir(), "finetune-venv-"));
  const log = join(folder, "calls.log");
  process.env.FAKE_PY_LOG = log;
  try {
    assert.deepEqual(serverExtras("azure"), ["azure"]);
    assert.deepEqual(serverExtras("openai"), []);
    assert.deepEqual(serverExtras("openai", "trl"), ["hf"]);
    assert.deepEqual(serverExtras("azure", "together"), ["azure", "hf"]);
    assert.deepEqual(serverExtras("openai", "openai"), []);
    const python = script(FAKE_PYTHON);
    const venv = join(folder, "venv");
    const wheel = "/x/finetune_ls-0.1.0-py3-none-any.whl";
    await ensureVenv(python, venv, wheel, () => undefined);
    assert.match(calls(log)[1], /pip install .*--upgrade \/x\/finetune_ls-0\.1\.0-py3-none-any\.whl$/);
    await ensureVenv(python, venv, wheel, () => undefined, ["azure"]);
    assert.equal(calls(log).length, 3, "the extra was missing: installed into the same environment");
    assert.match(calls(log)[2], /--upgrade \/x\/finetune_ls-0\.1\.0-py3-none-any\.whl\[azure\]$/);
    await ensureVenv(python, venv, wheel, () => undefined, ["azure"]);
    await ensureVenv(python, venv, wheel, () => undefined);
    assert.equal(calls(log).length, 3, "nothing to do: the extra is there");
    await ensureVenv(python, venv, "/x/finetune_ls-0.2.0-py3-none-any.whl", () => undefined);
    assert.match(calls(log)[3], /finetune_ls-0\.2\.0-py3-none-any\.whl\[azure\]$/, "a new wheel keeps the extra");
  } finally {
    delete process.env.FAKE_PY_LOG;
  }
});
