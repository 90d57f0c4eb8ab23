// What the server is told: the "finetune" settings as the server names them, without the
// client's own (server.*). An unset value goes as null, which the server takes as "back
// to the default" (leaving it out would keep the old value). Pure: no vscode import.

const CLIENT_ONLY = new Set(["server"]);

export type Settings = Record<string, unknown>;

/** The server's settings from the editor's "finetune" section (a plain object). */
export function serverSettings(section: Settings): Settings {
  const result: Settings = {};
  for (const [key, value] of Object.entries(section)) {
    if (CLIENT_ONLY.has(key) || value === undefined) continue;
    if (typeof value === "function") continue; // WorkspaceConfiguration's own methods
    if (key === "epochs") {
      result.epochs = epochsValue(value);
      continue;
    }
    result[key] = value;
  }
  return result;
}

/** Epochs as the server takes them: a whole number, "auto", or null (the default). A value
 * that is neither goes as it is, so the server names the problem. */
export function epochsValue(value: unknown): unknown {
  if (value === null || value === "" || value === "auto") return value === "auto" ? "auto" : null;
  if (typeof value === "string" && /^\s*\d+\s*$/.test(value)) return Number(value);
  return value;
}

/** Whether calls sign in with Microsoft Entra ID (Azure, azureAuth "entra"): no API key then. */
export function usesEntra(settings: Settings): boolean {
  return settings.provider === "azure" && settings.azureAuth === "entra";
}

export interface Inspected<T> {
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** A setting that runs a program (interpreter, server path): from workspace settings only
 * when the workspace is trusted; otherwise only the user's own (global) value counts. */
export function programSetting(inspected: Inspected<string | null> | undefined, trusted: boolean): string | undefined {
  if (!inspected) return undefined;
  const ordered = trusted
    ? [inspected.workspaceFolderValue, inspected.workspaceValue, inspected.globalValue]
    : [inspected.globalValue];
  const value = ordered.find((item) => typeof item === "string" && item.trim() !== "");
  return value?.trim();
}
