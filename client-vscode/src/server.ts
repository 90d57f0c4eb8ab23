// The language client: finds Python and the server (bootstrap.ts), starts it with the
// settings, restarts it, and sends it commands. The API key goes from SecretStorage to the
// server (finetune.setApiKey) on every start; it is never a setting and never logged.
import { existsSync, readdirSync } from "node:fs";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, State } from "vscode-languageclient/node";
import { serverCommand, serverExtras, SetupError } from "./bootstrap";
import { programSetting, serverSettings, usesEntra } from "./settings";
import { pythonExtensionInterpreter } from "./pythonExtension";
import { showsTrialsFeature } from "./trial";

export const SECRET_KEY = "finetune.apiKey";

export class Server implements vscode.Disposable {
  client: LanguageClient | undefined;
  private starting: Promise<LanguageClient | undefined> | undefined;
  private readonly started = new vscode.EventEmitter<LanguageClient>();
  private extras: string[] = []; // the wheel's extras the running server was started with
  readonly onDidStart = this.started.event;

  constructor(private readonly context: vscode.ExtensionContext, readonly log: vscode.LogOutputChannel) {}

  /** The running client, started if needed; undefined when it cannot start (already told). */
  ready(): Promise<LanguageClient | undefined> {
    if (this.client?.state === State.Running) return Promise.resolve(this.client);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  async restart(): Promise<LanguageClient | undefined> {
    await this.stop();
    return this.ready();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.stop().catch((error) => this.log.warn(`stopping the server: ${error}`));
  }

  /** A server command (workspace/executeCommand) and its answer. */
  async execute<T = unknown>(command: string, ...args: unknown[]): Promise<T | undefined> {
    const client = await this.ready();
    if (!client) return undefined;
    return client.sendRequest<T>("workspace/executeCommand", { command, arguments: args });
  }

  /** Whether the settings now need extras the running server was not started with (provider
   * azure needs azure-identity, an open-weight target huggingface_hub): then a restart installs them. */
  needsExtras(): boolean {
    const config = vscode.workspace.getConfiguration("finetune");
    const wanted = serverExtras(config.get<string>("provider"), config.get<string | null>("target"));
    return wanted.some((extra) => !this.extras.includes(extra));
  }

  /** Whether calls can have a key: from secret storage, the environment, or a key file setting;
   * with Microsoft Entra ID sign-in (Azure) no key is needed at all. */
  async hasKey(): Promise<boolean> {
    if (usesEntra(currentSettings())) return true;
    const keyFile = vscode.workspace.getConfiguration("finetune").get<string | null>("keyFile");
    return Boolean((await this.context.secrets.get(SECRET_KEY)) || process.env.OPENAI_API_KEY ||
                   process.env.AZURE_OPENAI_API_KEY || keyFile);
  }

  async sendApiKey(): Promise<void> {
    if (this.client?.state !== State.Running) return;
    const key = await this.context.secrets.get(SECRET_KEY);
    await this.client.sendRequest("workspace/executeCommand", { command: "finetune.setApiKey", arguments: [key ?? null] });
  }

  private async start(): Promise<LanguageClient | undefined> {
    let command;
    try {
      command = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: "finetune-ls: preparing the server" },
        async () => serverCommand(await this.options(), (line) => this.log.info(line)));
    } catch (error) {
      this.fail(error);
      return undefined;
    }
    this.log.info(`starting the server: ${command.origin}`);
    const serverOptions: ServerOptions = { command: command.command, args: command.args };
    const client = new LanguageClient("finetune-ls", "Fine-tune", serverOptions, this.clientOptions());
    client.registerFeature(showsTrialsFeature); // Try Model's answer in a diff editor, not a message
    try {
      await client.start();
    } catch (error) {
      this.fail(new SetupError(`the server did not start (${(error as Error).message}).`,
        `run: ${command.command} ${command.args.join(" ")}   and read its error`));
      return undefined;
    }
    this.client = client;
    await this.sendApiKey();
    this.started.fire(client);
    return client;
  }

  private async options() {
    const config = vscode.workspace.getConfiguration("finetune");
    const trusted = vscode.workspace.isTrusted;
    return {
      serverPath: programSetting(config.inspect<string | null>("server.path"), trusted),
      sources: {
        setting: programSetting(config.inspect<string | null>("server.interpreter"), trusted),
        pythonExtension: await pythonExtensionInterpreter(),
        platform: process.platform,
      },
      storage: this.context.globalStorageUri.fsPath,
      wheel: bundledWheel(this.context),
      logLevel: config.get<string>("server.logLevel") ?? "info",
      extras: (this.extras = serverExtras(config.get<string>("provider"), config.get<string | null>("target"))),
    };
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: [{ scheme: "file", language: "jsonl" }, { scheme: "file", pattern: "**/*.jsonl" },
                         { scheme: "untitled", language: "jsonl" }],
      outputChannel: this.log,
      initializationOptions: currentSettings(),
      middleware: {
        workspace: {
          // The server asks for the "finetune" section: it gets the settings as it names them.
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) return answers;
            return params.items.map((item, index) =>
              item.section === "finetune" ? currentSettings() : answers[index]);
          },
        },
      },
    };
  }

  private fail(error: unknown): void {
    const setup = error instanceof SetupError ? error : undefined;
    const message = setup ? setup.message : `finetune-ls could not start: ${(error as Error).message ?? error}`;
    this.log.error(message + (setup ? `\nWhat to do: ${setup.hint}` : ""));
    const text = `finetune-ls: ${message.split("\n")[0]}` + (setup ? ` What to do: ${setup.hint}.` : "");
    void vscode.window.showErrorMessage(text, "Open Log").then((choice) => {
      if (choice === "Open Log") this.log.show();
    });
  }

  dispose(): void {
    void this.stop();
    this.started.dispose();
  }
}

export function currentSettings(): Record<string, unknown> {
  const section = vscode.workspace.getConfiguration("finetune");
  return serverSettings(JSON.parse(JSON.stringify(section)) as Record<string, unknown>);
}

function bundledWheel(context: vscode.ExtensionContext): string | undefined {
  const folder = vscode.Uri.joinPath(context.extensionUri, "server").fsPath;
  const wheel = existsSync(folder) ? readdirSync(folder).find((name) => name.endsWith(".whl")) : undefined;
  return wheel ? vscode.Uri.joinPath(context.extensionUri, "server", wheel).fsPath : undefined;
}
