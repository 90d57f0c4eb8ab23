// Activation: the server, the palette, the views, the chart, the status bar and the
// big-file watch. Rules, tokens, costs and API calls all stay in the server.
import * as vscode from "vscode";
import { BigFiles } from "./bigFiles";
import { Charts } from "./chart";
import { registerCommands } from "./commands";
import { JobTracker } from "./jobs";
import { currentSettings, Server } from "./server";
import { StatusBar } from "./statusBar";
import { registerViews } from "./views";

let server: Server | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel("Fine-tune", { log: true });
  server = new Server(context, log);
  const tracker = new JobTracker(server);
  const charts = new Charts(tracker);
  const { views, disposables } = registerViews(server, tracker);
  context.subscriptions.push(log, server, tracker, charts, ...disposables, new StatusBar(server, tracker), new BigFiles(server));
  registerCommands(context, server, tracker, views, charts);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration("finetune")) return;
      if (event.affectsConfiguration("finetune.server")) {
        await server?.restart();
      } else {
        await server?.client?.sendNotification("workspace/didChangeConfiguration", { settings: { finetune: currentSettings() } });
      }
    }),
    context.secrets.onDidChange(async (event) => {
      if (event.key === "finetune.apiKey") await server?.sendApiKey();
    }),
  );
  await server.ready();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}
