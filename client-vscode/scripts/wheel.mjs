// Builds the server's wheel into server/ (shipped inside the .vsix; the extension installs
// it into a private virtual environment on first start). Uses PYTHON, else python3; the
// build backend comes from the package index unless FINETUNE_WHEEL_NO_ISOLATION is set.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const out = resolve(here, "..", "server");
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
const python = process.env.PYTHON || "python3";
const args = ["-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out, repo];
if (process.env.FINETUNE_WHEEL_NO_ISOLATION) args.splice(3, 0, "--no-build-isolation");
execFileSync(python, args, { stdio: "inherit" });
const wheels = readdirSync(out).filter((name) => name.endsWith(".whl"));
if (wheels.length !== 1) throw new Error(`expected one wheel in ${out}, found ${wheels.join(", ") || "none"}`);
console.log(`server wheel: ${join("server", wheels[0])}`);
