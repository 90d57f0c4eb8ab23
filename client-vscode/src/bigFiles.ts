// VS Code does not hand documents over 50 MB to extensions, so the server never hears of
// them: when such a .jsonl file is opened in a tab, the server is asked to check it from disk.
import * as vscode from "vscode";
import { Summary, summaryText } from "./labels";
import type { Server } from "./server";

export const BIG_FILE_BYTES = 50 * 1024 * 1024;

export class BigFiles implements vscode.Disposable {
  private readonly checked = new Set<string>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly server: Server) {
    this.subscription = vscode.window.tabGroups.onDidChangeTabs((event) => this.look(event.opened));
    this.look(vscode.window.tabGroups.all.flatMap((group) => group.tabs));
  }

  private look(tabs: readonly vscode.Tab[]): void {
    for (const tab of tabs) {
      const input = tab.input;
      const uri = input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
      if (uri && uri.scheme === "file" && uri.path.toLowerCase().endsWith(".jsonl")) void this.checkIfBig(uri);
    }
  }

  async checkIfBig(uri: vscode.Uri): Promise<void> {
    if (this.checked.has(uri.toString())) return;
    const stat = await vscode.workspace.fs.stat(uri).then((value) => value, () => undefined);
    if (!stat || stat.size <= BIG_FILE_BYTES) return;
    this.checked.add(uri.toString());
    await checkFromDisk(this.server, uri);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

/** Ask the server to check a file from disk; tell the user its summary. */
export async function checkFromDisk(server: Server, uri: vscode.Uri): Promise<void> {
  const result = await server.execute<Summary | null>("finetune.checkFile", uri.toString());
  const name = uri.path.split("/").pop();
  if (result) void vscode.window.showInformationMessage(`finetune-ls checked ${name} from disk: ${summaryText(result)}`);
}
