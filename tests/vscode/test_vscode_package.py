"""The .vsix as the Marketplace and Open VSX would take it: built as users and CI build it
(npm ci, npm test, npm run package), then vsce's own output checked for warnings, the
package's contents (icon, CHANGELOG, LICENSE, the Get started walkthrough and its media),
the walkthrough's commands against contributes.commands, and Open VSX's publish-time
checks (client-vscode/scripts/openvsx-check.mjs, offline: nothing is published). Prints
the package's size and what makes it up. Fails (never skips) when a tool is missing."""

from __future__ import annotations

import json
import re
import shlex
import struct
import subprocess
import zipfile

from vscode.harness import CLIENT, build_vsix, private_env, run

# vsce warns about a missing `repository` unless --allow-missing-repository: the project
# has no public repository yet, so that one (and only that one) may be bypassed.
ALLOWED_WARNING = "A 'repository' field is missing"


def vsce_command(manifest: dict) -> list[str]:
    """The vsce step of `npm run package`, as package.json has it."""
    steps = [step.strip() for step in manifest["scripts"]["package"].split("&&")]
    vsce = [step for step in steps if step.startswith("vsce ")]
    assert len(vsce) == 1, f"no single vsce step in the package script: {steps}"
    return ["npx", "--no-install", *shlex.split(vsce[0])]


def walkthrough_commands(manifest: dict) -> set[str]:
    commands = set()
    for walkthrough in manifest["contributes"]["walkthroughs"]:
        for step in walkthrough["steps"]:
            commands.update(re.findall(r"\(command:([\w.-]+)", step.get("description", "")))
            commands.update(event.removeprefix("onCommand:") for event in step.get("completionEvents", [])
                            if event.startswith("onCommand:"))
    return commands


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_vsix_is_ready_for_the_marketplace_and_open_vsx(tmp_path):
    env = private_env(tmp_path)
    vsix = build_vsix(env)
    manifest = json.loads((CLIENT / "package.json").read_text())
    command = vsce_command(manifest)
    assert "--skip-license" not in command, "the LICENSE is packaged: vsce needs no --skip-license"

    # vsce's own output, warnings and all, from the same step the package script runs
    done = subprocess.run(command, cwd=CLIENT, env=env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    print(output)
    assert done.returncode == 0, f"vsce package failed:\n{output}"
    warnings = [line for line in output.splitlines() if "WARNING" in line and ALLOWED_WARNING not in line]
    assert not warnings, "vsce warned:\n" + "\n".join(warnings)

    # what the package holds
    with zipfile.ZipFile(vsix) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        names = {name.lower() for name in infos}
        icon = archive.read("extension/" + manifest["icon"])
    assert manifest["icon"] == "media/icon.png"
    assert png_size(icon) == (128, 128), f"the icon is {png_size(icon)}, not 128x128"
    for wanted in ("extension/changelog.md", "extension/license.txt", "extension/readme.md",
                   "extension/package.json", "extension/dist/extension.js"):
        assert wanted in names, f"{wanted} is not in the .vsix: {sorted(names)}"
    assert any(re.fullmatch(r"extension/server/finetune_ls-.*\.whl", name) for name in names), "no server wheel"
    assert manifest.get("keywords") and manifest.get("categories") and manifest.get("galleryBanner")

    # the Get started walkthrough: its media on disk and in the package, its commands real
    walkthroughs = manifest["contributes"]["walkthroughs"]
    assert walkthroughs, "no walkthrough"
    media = [path for walkthrough in walkthroughs for step in walkthrough["steps"]
             for path in step["media"].values() if isinstance(path, str)]
    for walkthrough in walkthroughs:
        for step in walkthrough["steps"]:
            assert step.get("completionEvents"), f"step {step['id']} has no completionEvents"
    for path in media:
        assert (CLIENT / path).is_file(), f"walkthrough media {path} does not exist"
        assert f"extension/{path}".lower() in names, f"walkthrough media {path} is not in the .vsix"
    declared = {entry["command"] for entry in manifest["contributes"]["commands"]}
    used = walkthrough_commands(manifest)
    assert {"finetune-ls.setApiKey", "finetune-ls.checkFile", "finetune-ls.startJob"} <= used
    assert used <= declared, f"walkthrough commands not in contributes.commands: {sorted(used - declared)}"

    # Open VSX's publish-time checks, run from ovsx's own library (no network, no publishing)
    print(run(["node", "scripts/openvsx-check.mjs", str(vsix)], CLIENT, env, "the Open VSX checks"))

    size = vsix.stat().st_size
    parts = sorted(infos.values(), key=lambda info: -info.compress_size)
    print(f"{vsix.name}: {size} bytes")
    for info in parts[:4]:
        print(f"  {info.filename}: {info.compress_size} bytes packed ({info.file_size} unpacked)")
