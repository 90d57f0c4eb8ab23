// A view listing what one server command answers, with a "set a key" row before there is
// a key and the server's sentence when the call failed.
import * as vscode from "vscode";
import type { Server } from "./server";

export type Listed = Record<string, unknown> & { id: string };

export abstract class ListView implements vscode.TreeDataProvider<Listed> {
  private readonly changed = new vscode.EventEmitter<Listed | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  protected items: Listed[] | undefined;
  protected error: string | undefined;

  constructor(protected readonly server: Server, private readonly command: string) {}

  refresh(): void {
    this.items = undefined;
    this.changed.fire(undefined);
  }

  redraw(): void {
    this.changed.fire(undefined);
  }

  async getChildren(element?: Listed): Promise<Listed[]> {
    if (element) return [];
    if (this.items === undefined && !(await this.server.hasKey())) {
      return [{ id: "", needsKey: true }]; // no call (and no error message) before there is a key
    }
    if (this.items === undefined) {
      const result = this.unwrap(await this.server.execute<unknown>(this.command));
      this.error = result && !Array.isArray(result) ? result.error : undefined;
      this.items = Array.isArray(result) ? result : [];
      this.loaded(this.items);
    }
    if (this.error) return [{ id: "", error: this.error }];
    return this.items;
  }

  /** The list in the command's answer (a list, or {"error": sentence}). */
  protected unwrap(result: unknown): Listed[] | { error: string } | undefined {
    return result as Listed[] | { error: string } | undefined;
  }

  protected loaded(_items: Listed[]): void {}

  getTreeItem(element: Listed): vscode.TreeItem {
    if (element.needsKey) {
      const item = new vscode.TreeItem("Set an API key to see this list");
      item.iconPath = new vscode.ThemeIcon("key");
      item.command = { command: "finetune-ls.setApiKey", title: "Set API Key" };
      return item;
    }
    if (typeof element.error === "string") {
      const item = new vscode.TreeItem(element.error);
      item.iconPath = new vscode.ThemeIcon("warning");
      item.tooltip = element.error;
      return item;
    }
    return this.item(element);
  }

  protected abstract item(element: Listed): vscode.TreeItem;
}
