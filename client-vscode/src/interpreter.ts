// Which Python runs the server, in order: the finetune.server.interpreter setting, the
// Python extension's active environment, python3 on PATH. Pure: no vscode import.

export const MIN_PYTHON: readonly [number, number] = [3, 10];

export interface Candidate {
  command: string;
  source: "setting" | "python-extension" | "path";
}

export interface Sources {
  setting?: string | null;
  pythonExtension?: string | null;
  platform?: NodeJS.Platform;
}

/** The interpreters to try, best first. A setting wins outright: when it is set, a
 * broken setting is reported rather than silently replaced by another Python. */
export function candidates(sources: Sources): Candidate[] {
  const setting = sources.setting?.trim();
  if (setting) return [{ command: setting, source: "setting" }];
  const found: Candidate[] = [];
  const fromExtension = sources.pythonExtension?.trim();
  if (fromExtension) found.push({ command: fromExtension, source: "python-extension" });
  const onPath = sources.platform === "win32" ? ["python", "py"] : ["python3", "python"];
  for (const command of onPath) found.push({ command, source: "path" });
  return found;
}

/** "3.11.7" from `python -c "import sys; print(...)"` output; null when it is not a version. */
export function parseVersion(output: string): [number, number, number] | null {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(output.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

export function supported(version: readonly number[]): boolean {
  const [major, minor] = version;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

export function describe(candidate: Candidate): string {
  switch (candidate.source) {
    case "setting":
      return `${candidate.command} (the finetune.server.interpreter setting)`;
    case "python-extension":
      return `${candidate.command} (the Python extension's active environment)`;
    default:
      return `${candidate.command} (on PATH)`;
  }
}
