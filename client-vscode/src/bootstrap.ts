// Gets a runnable server: an existing install (finetune.server.path), else a private
// virtual environment in the extension's storage, made on first start from the wheel
// shipped in the .vsix. Node only, no vscode import; every failure is a SetupError that
// says what went wrong and what to run.
import { execFile } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Candidate, candidates, describe, MIN_PYTHON, parseVersion, Sources, supported } from "./interpreter";

const run = promisify(execFile);
const VERSION_SCRIPT = "import sys; print('%d.%d.%d' % sys.version_info[:3])";
const MARKER = "finetune-ls-wheel.txt";

export class SetupError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
  }
}

export interface ServerCommand {
  command: string;
  args: string[];
  origin: string;
}

export type Log = (line: string) => void;

/** The first interpreter that runs and is new enough. */
export async function findPython(sources: Sources, log: Log): Promise<{ candidate: Candidate; version: string }> {
  const tried: string[] = [];
  for (const candidate of candidates(sources)) {
    let output: string;
    try {
      output = (await run(candidate.command, ["-c", VERSION_SCRIPT], { timeout: 20_000 })).stdout;
    } catch (error) {
      tried.push(`${describe(candidate)}: does not run (${(error as Error).message.split("\n")[0]})`);
      continue;
    }
    const version = parseVersion(output);
    if (version && supported(version)) {
      log(`Python: ${describe(candidate)}, ${version.join(".")}`);
      return { candidate, version: version.join(".") };
    }
    tried.push(`${describe(candidate)}: Python ${version?.join(".") ?? output.trim()} is older than ${MIN_PYTHON.join(".")}`);
  }
  throw new SetupError(`finetune-ls needs Python ${MIN_PYTHON.join(".")} or newer, and found none.\n${tried.join("\n")}`,
    "install Python 3.10+ (e.g. `sudo apt install python3 python3-venv`), or set finetune.server.interpreter to one");
}

export function venvPython(venv: string, platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" ? join(venv, "Scripts", "python.exe") : join(venv, "bin", "python");
}

/** What the environment was made from: the wheel's name and the interpreter (a marker file). */
export async function installedFrom(venv: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(join(venv, MARKER), "utf8")).trim();
  } catch {
    return undefined;
  }
}

/** Targets whose tokens come from the model's own Hugging Face tokenizer (data/targets.json). */
const OPEN_WEIGHT_TARGETS = ["together", "trl", "axolotl", "unsloth"];

/** The extras the server needs for these settings: "azure" (azure-identity, for Entra ID
 * sign-in and the management API's deployments) when the provider is Azure; "hf"
 * (huggingface_hub: the Hugging Face cache and downloads of tokenizers) for an open-weight target. */
export function serverExtras(provider: string | null | undefined, target?: string | null): string[] {
  const extras = provider === "azure" ? ["azure"] : [];
  if (target && OPEN_WEIGHT_TARGETS.includes(target)) extras.push("hf");
  return extras;
}

/** The wheel's name and extras a marker's first line records ("x.whl[azure]" -> name, ["azure"]). */
function parseInstalled(line: string): { wheel: string; extras: string[] } {
  const match = /^(.*?)(?:\[([^\]]*)\])?$/.exec(line.trim());
  return { wheel: match?.[1] ?? line, extras: (match?.[2] ?? "").split(",").filter(Boolean) };
}

/** The private environment, made or brought up to the shipped wheel (with `extras`); made
 * anew when the interpreter changed (an environment belongs to the Python that made it).
 * An environment that already has more extras than asked for is kept as it is. */
export async function ensureVenv(python: string, venv: string, wheel: string, log: Log, extras: string[] = []): Promise<string> {
  const wheelName = wheel.split(/[\\/]/).pop() ?? wheel;
  const inside = venvPython(venv);
  const previous = await installedFrom(venv);
  const [previousLine, previousPython] = previous?.split("\n") ?? [];
  if (existsSync(inside) && previousPython === python && previousLine !== undefined) {
    const installed = parseInstalled(previousLine);
    if (installed.wheel === wheelName && extras.every((extra) => installed.extras.includes(extra))) return inside;
    extras = [...new Set([...installed.extras, ...extras])].sort(); // an update keeps what was there
  }
  const requirement = extras.length ? `${wheel}[${extras.join(",")}]` : wheel;
  const marker = `${extras.length ? `${wheelName}[${extras.join(",")}]` : wheelName}\n${python}`;
  if (previous !== undefined && previousPython !== python) {
    log(`the interpreter changed: making the server's environment again`);
    await fs.rm(venv, { recursive: true, force: true });
  }
  if (!existsSync(inside)) {
    log(`creating the server's environment: ${python} -m venv ${venv}`);
    await step(python, ["-m", "venv", venv], `could not create a virtual environment in ${venv}`,
      `${python} -m venv ${venv}   (on Debian/Ubuntu: sudo apt install python3-venv)`, log);
  }
  log(`installing ${requirement.split(/[\\/]/).pop()} and its dependencies from the package index`);
  await step(inside, ["-m", "pip", "install", "--disable-pip-version-check", "--upgrade", requirement],
    `could not install the server (${wheelName}) into ${venv}`, `${inside} -m pip install ${extras.length ? `'${requirement}'` : requirement}`, log);
  await fs.writeFile(join(venv, MARKER), marker + "\n");
  return inside;
}

async function step(command: string, args: string[], failure: string, hint: string, log: Log): Promise<void> {
  try {
    const done = await run(command, args, { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
    if (done.stdout.trim()) log(done.stdout.trim());
    if (done.stderr.trim()) log(done.stderr.trim());
  } catch (error) {
    const detail = error as { stderr?: string; message: string };
    log(`${failure}:\n${detail.stderr || detail.message}`);
    throw new SetupError(`${failure}.`, `run: ${hint}`);
  }
}

export interface ServerOptions {
  serverPath?: string;
  sources: Sources;
  storage: string;
  wheel?: string;
  logLevel: string;
  extras?: string[]; // the wheel's extras the settings need (serverExtras)
}

/** How to start the server: the configured executable, or the private environment. */
export async function serverCommand(options: ServerOptions, log: Log): Promise<ServerCommand> {
  const serveArgs = ["serve", "--log-level", options.logLevel];
  if (options.serverPath) {
    if (!existsSync(options.serverPath)) {
      throw new SetupError(`finetune.server.path is ${options.serverPath}, which does not exist.`,
        "set finetune.server.path to a finetune-ls executable (`pip install finetune-ls`), or clear it");
    }
    return { command: options.serverPath, args: serveArgs, origin: `${options.serverPath} (finetune.server.path)` };
  }
  if (!options.wheel) {
    throw new SetupError("this build of the extension carries no server wheel.",
      "`pip install finetune-ls` and set finetune.server.path to its finetune-ls executable");
  }
  const { candidate } = await findPython(options.sources, log);
  await fs.mkdir(options.storage, { recursive: true });
  const python = await ensureVenv(candidate.command, join(options.storage, "venv"), options.wheel, log,
    options.extras ?? []);
  return { command: python, args: ["-m", "finetune_ls", ...serveArgs], origin: `${python} (private environment)` };
}
