import assert from "node:assert/strict";
import { test } from "node:test";
import { epochsValue, programSetting, serverSettings, usesEntra } from "../src/settings";

test("the server gets its settings by its own names, without the client's server.* ones", () => {
  const mapped = serverSettings({
    model: "gpt-4.1-mini-2025-04-14", method: "supervised", epochs: 3, provider: "azure",
    azureEndpoint: "https://x.openai.azure.com", apiVersion: "2025-04-01-preview", baseUrl: null,
    validationGlob: "{stem}.val.jsonl", validationPairs: { "a.jsonl": "b.jsonl" }, inlineCompletion: "automatic",
    server: { interpreter: "/usr/bin/python3", path: null, logLevel: "debug" },
  });
  assert.deepEqual(mapped, {
    model: "gpt-4.1-mini-2025-04-14", method: "supervised", epochs: 3, provider: "azure",
    azureEndpoint: "https://x.openai.azure.com", apiVersion: "2025-04-01-preview", baseUrl: null,
    validationGlob: "{stem}.val.jsonl", validationPairs: { "a.jsonl": "b.jsonl" }, inlineCompletion: "automatic",
  });
});

test("an unset value goes as null so the server returns to its default", () => {
  assert.deepEqual(serverSettings({ model: null, epochs: null, undefinedOne: undefined }), { model: null, epochs: null });
});

test("epochs: numbers, numeric strings, auto; anything else passes for the server to name", () => {
  assert.equal(epochsValue(4), 4);
  assert.equal(epochsValue(" 8 "), 8);
  assert.equal(epochsValue("auto"), "auto");
  assert.equal(epochsValue(""), null);
  assert.equal(epochsValue("many"), "many");
});

test("untrusted workspaces: programs only from the user's own settings", () => {
  const inspected = { globalValue: "/usr/bin/python3", workspaceValue: "./evil/python", workspaceFolderValue: "./evil2" };
  assert.equal(programSetting(inspected, false), "/usr/bin/python3");
  assert.equal(programSetting(inspected, true), "./evil2");
  assert.equal(programSetting({ workspaceValue: "./evil/python" }, false), undefined);
  assert.equal(programSetting({ workspaceValue: "/ws/python", globalValue: "  " }, true), "/ws/python");
  assert.equal(programSetting(undefined, true), undefined);
});

test("Entra ID sign-in (no key) only with provider azure and azureAuth entra", () => {
  assert.equal(usesEntra({ provider: "azure", azureAuth: "entra" }), true);
  assert.equal(usesEntra({ provider: "azure", azureAuth: "key" }), false);
  assert.equal(usesEntra({ provider: "openai", azureAuth: "entra" }), false);
});

test("the Azure settings go to the server under their own names", () => {
  const azure = { provider: "azure", azureAuth: "entra", azureSubscription: "0000-sub", azureResourceGroup: "rg",
                  azureAccount: "acct", azureManagementEndpoint: null, trainingType: "GlobalStandard" };
  assert.deepEqual(serverSettings(azure), azure);
});
