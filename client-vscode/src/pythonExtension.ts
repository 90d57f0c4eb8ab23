// The Python extension's active environment, when that extension is installed and active.
import * as vscode from "vscode";

interface PythonApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined };
}

export function pythonExtensionInterpreter(): string | undefined {
  const extension = vscode.extensions.getExtension<PythonApi>("ms-python.python");
  if (!extension?.isActive) return undefined;
  try {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    return extension.exports?.environments?.getActiveEnvironmentPath(folder)?.path || undefined;
  } catch {
    return undefined;
  }
}
