import assert from "node:assert/strict";
import { test } from "node:test";
import { candidates, parseVersion, supported } from "../src/interpreter";

test("the setting wins outright, trimmed, with no fallback", () => {
  assert.deepEqual(candidates({ setting: " /opt/py/bin/python ", pythonExtension: "/env/bin/python" }),
    [{ command: "/opt/py/bin/python", source: "setting" }]);
});

test("without a setting: the Python extension's environment, then python3 and python on PATH", () => {
  assert.deepEqual(candidates({ setting: "", pythonExtension: "/env/bin/python", platform: "linux" }).map((c) => c.command),
    ["/env/bin/python", "python3", "python"]);
  assert.deepEqual(candidates({ setting: null, pythonExtension: undefined, platform: "linux" }).map((c) => c.source),
    ["path", "path"]);
});

test("on Windows the PATH names are python and py", () => {
  assert.deepEqual(candidates({ platform: "win32" }).map((c) => c.command), ["python", "py"]);
});

test("versions are read and 3.10 is the oldest supported", () => {
  assert.deepEqual(parseVersion("3.11.7\n"), [3, 11, 7]);
  assert.equal(parseVersion("Python"), null);
  assert.equal(supported([3, 9, 18]), false);
  assert.equal(supported([3, 10, 0]), true);
  assert.equal(supported([3, 13, 1]), true);
  assert.equal(supported([2, 7, 18]), false);
  assert.equal(supported([4, 0, 0]), true);
});
