// Activation: the server, the palette, the views, the chart, the status bar and the
// big-file watch. Rules, tokens, costs and API calls all stay in the server.
import * as vscode from "vscode";
import { BigFiles } from "./bigFiles";
import { Charts } from "./chart";
import { refreshAll, registerCommands } from "./commands";
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
      await showProviderViews();
      if (event.affectsConfiguration("finetune.server") || server?.needsExtras()) {
        await server?.restart();
      } else {
        await server?.client?.sendNotification("workspace/didChangeConfiguration", { settings: { finetune: currentSettings() } });
      }
      // Another provider or sign-in: other lists (and no key needed with Entra ID).
      if (["provider", "azureAuth", "azureEndpoint", "baseUrl"].some((name) => event.affectsConfiguration(`finetune.${name}`))) {
        refreshAll(views);
      }
    }),
    context.secrets.onDidChange(async (event) => {
      if (event.key === "finetune.apiKey") await server?.sendApiKey();
    }),
  );
  await showProviderViews();
  await server.ready();
}

/** The context key the Azure-only views and menus (Deployments, Deploy) are shown by. */
async function showProviderViews(): Promise<void> {
  const azure = vscode.workspace.getConfiguration("finetune").get<string>("provider") === "azure";
  await vscode.commands.executeCommand("setContext", "finetune.azure", azure);
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}
