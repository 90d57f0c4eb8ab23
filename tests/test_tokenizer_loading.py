"""Loading an open-weight model's tokenizer and chat template before the first line
(core/tokenizer_check.py, core/hf_tokenizer.py): a damaged folder is one file finding, the
model's chat_template.jinja is read as transformers reads it, a folder names its own model, and a
chat template that cannot render is one file finding. The CLI runs as a subprocess, offline, on
copies of the shared tokenizers in tmp_path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import ROOT

SHARED = Path(os.environ.get("FINETUNE_LS_SHARED", ROOT.parent / "shared")) / "tokenizers"
QWEN3 = SHARED / "qwen3"
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"answer %d"}]}\n'
TEXT = "".join(CHAT % (i, i) for i in range(12))

pytestmark = pytest.mark.skipif(not (QWEN3 / "tokenizer.json").is_file(),
                                reason=f"the shared tokenizer copies are not at {SHARED}")


def _env(tmp_path: Path) -> dict[str, str]:
    """Offline, with a Hugging Face cache of the test's own (never the user's)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("HF_", "HUGGINGFACE_"))}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"), HF_HUB_CACHE=str(tmp_path / "hf" / "hub"))
    return env


def _check(cli_path: str, tmp_path: Path, *options: str, text: str = TEXT) -> tuple[dict, subprocess.CompletedProcess]:
    data = tmp_path / "train.jsonl"
    data.write_text(text, encoding="utf-8")
    done = subprocess.run([cli_path, "check", str(data), "--format", "json", "--target", "trl", *options],
                          env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["files"][0], done


def _codes(report: dict) -> list[str]:
    return [finding["code"] for finding in report["findings"]]


def _qwen3_copy(folder: Path) -> Path:
    shutil.copytree(QWEN3, folder)
    return folder


def _template_in_its_own_file(folder: Path) -> str:
    """Moves the chat template out of tokenizer_config.json into chat_template.jinja, as current
    repositories ship it (transformers' save_pretrained writes it so)."""
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    template = config.pop("chat_template")
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / "chat_template.jinja").write_text(template, encoding="utf-8")
    return template


def _damage_tokenizer(folder: Path) -> str:
    (folder / "tokenizer.json").write_text('{"not": "a tokenizer"}', encoding="utf-8")
    return "tokenizer.json is not a tokenizer"


def _damage_config(folder: Path) -> str:
    (folder / "tokenizer_config.json").write_text("{'chat_template': oops", encoding="utf-8")
    return "tokenizer_config.json is not JSON"


def _half_write_tokenizer(folder: Path) -> str:
    whole = (folder / "tokenizer.json").read_bytes()
    (folder / "tokenizer.json").write_bytes(whole[: len(whole) // 2])  # a download cut off
    return "tokenizer.json is not a tokenizer"


@pytest.mark.parametrize("damage", [_damage_tokenizer, _damage_config, _half_write_tokenizer],
                         ids=["not-a-tokenizer", "config-not-json", "half-written"])
def test_a_damaged_tokenizer_folder_is_one_file_finding_not_an_error_per_line(cli_path, tmp_path, damage):
    """Reviewer, defect 1: a damaged folder gave internal-error on every line (the tokenizer was first
    read lazily, per line). It is read in the check plan now: one tokenizer-unavailable finding naming
    the file and what is wrong, and nothing counted."""
    folder = _qwen3_copy(tmp_path / "model")
    said = damage(folder)
    report, _ = _check(cli_path, tmp_path, "--tokenizer", str(folder))
    assert "internal-error" not in _codes(report) and "chat-template-error" not in _codes(report), report["findings"]
    unavailable = [f for f in report["findings"] if f["code"] == "tokenizer-unavailable"]
    assert len(unavailable) == 1 and unavailable[0]["scope"] == "file"
    assert str(folder.resolve() / said.split(" ")[0]) in unavailable[0]["message"]
    assert said.split(" ", 1)[1] in unavailable[0]["message"]
    assert report["summary"].get("tokens") in (None, 0) and report["summary"]["tokenizer"] is None


def test_a_half_written_tokenizer_in_the_hugging_face_cache_is_one_file_finding(cli_path, tmp_path):
    """Defect 1, the Hugging Face cache: a snapshot whose tokenizer.json was cut off (huggingface_hub's
    layout: refs/main names the snapshot folder)."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hf" / "hub" / "models--example-org--cut-off"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = _qwen3_copy(repo / "snapshots" / commit)
    _half_write_tokenizer(snapshot)
    report, _ = _check(cli_path, tmp_path, "--model", "example-org/cut-off")
    assert _codes(report).count("tokenizer-unavailable") == 1 and "internal-error" not in _codes(report)
    message = next(f["message"] for f in report["findings"] if f["code"] == "tokenizer-unavailable")
    assert f"{snapshot / 'tokenizer.json'} is not a tokenizer" in message


def test_the_models_chat_template_jinja_counts_as_the_config_template_did(cli_path, tmp_path):
    """Reviewer, defect 2: transformers prefers a model's chat_template.jinja to the config's template
    (tokenization_utils_base.py from_pretrained: "If independent chat template file(s) exist, they take
    priority over template entries in the tokenizer config"), and many repositories ship only that file.
    The same template moved there counts the same, and as transformers' apply_chat_template does."""
    transformers = pytest.importorskip("transformers")
    original = _qwen3_copy(tmp_path / "original")
    moved = _qwen3_copy(tmp_path / "moved")
    _template_in_its_own_file(moved)
    before, _ = _check(cli_path, tmp_path, "--tokenizer", str(original), "--model", "Qwen/Qwen3-8B")
    after, _ = _check(cli_path, tmp_path, "--tokenizer", str(moved), "--model", "Qwen/Qwen3-8B")
    assert not [f for f in after["findings"] if f["severity"] == "error"], after["findings"]
    assert after["summary"]["tokens"] == before["summary"]["tokens"] > 0
    reference = transformers.AutoTokenizer.from_pretrained(str(moved))
    expected = sum(len(reference.apply_chat_template(json.loads(line)["messages"], tokenize=True,
                                                     return_dict=True)["input_ids"])
                   for line in TEXT.splitlines())
    assert after["summary"]["tokens"] == expected


def test_the_chat_template_jinja_of_a_cached_snapshot_is_read(cli_path, tmp_path):
    """Defect 2, the Hugging Face cache: the snapshot's chat_template.jinja is the template."""
    commit = "89abcdef0123456789abcdef0123456789abcdef"
    repo = tmp_path / "hf" / "hub" / "models--example-org--jinja-only"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    _template_in_its_own_file(_qwen3_copy(repo / "snapshots" / commit))
    report, _ = _check(cli_path, tmp_path, "--model", "example-org/jinja-only")
    assert "chat-template-unusable" not in _codes(report) and "chat-template-error" not in _codes(report)
    assert report["summary"]["tokens"] > 0


def test_a_folder_without_a_model_names_its_own_model(cli_path, tmp_path):
    """Reviewer, defect 3: with --tokenizer and no --model the summary named the format's default model
    (Qwen/Qwen3-8B) while the counts were another folder's. The folder's config name_or_path, when it
    is a Hugging Face id, else the folder's name; the tokenizer's model and the summary's agree."""
    plain = _qwen3_copy(tmp_path / "my-tokenizer")
    report, _ = _check(cli_path, tmp_path, "--tokenizer", str(plain))
    assert report["summary"]["model"] == "my-tokenizer" == report["summary"]["tokenizer"]["model"]
    named = _qwen3_copy(tmp_path / "checkout")
    config = json.loads((named / "tokenizer_config.json").read_text(encoding="utf-8"))
    (named / "tokenizer_config.json").write_text(json.dumps({**config, "name_or_path": "example-org/Mine-7B"}))
    report, _ = _check(cli_path, tmp_path, "--tokenizer", str(named))
    assert report["summary"]["model"] == "example-org/Mine-7B" == report["summary"]["tokenizer"]["model"]
    report, _ = _check(cli_path, tmp_path, "--tokenizer", str(named), "--model", "Qwen/Qwen3-8B")
    assert report["summary"]["model"] == "Qwen/Qwen3-8B"  # a model the user names stays named


def test_a_chat_template_file_that_is_not_there_is_a_usage_error(cli_path, tmp_path):
    """Reviewer, defect 4 (part of 8): --chat-template naming no file exits 2 with one sentence."""
    data = tmp_path / "train.jsonl"
    data.write_text(TEXT, encoding="utf-8")
    done = subprocess.run([cli_path, "check", str(data), "--target", "trl", "--chat-template",
                           str(tmp_path / "nope.jinja")], env=_env(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert "nope.jinja' is not a file" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_template_that_does_not_compile_is_one_file_error(cli_path, tmp_path):
    """Defect 4: a chat template with a syntax error fails in transformers' apply_chat_template for every
    row, which TRL calls per row in _prepare_dataset: one chat-template-unusable error, no line errors."""
    broken = tmp_path / "broken.jinja"
    broken.write_text("{% for message in messages %}{{ message.content }}", encoding="utf-8")
    report, _ = _check(cli_path, tmp_path, "--model", "Qwen/Qwen3-8B", "--chat-template", str(broken))
    assert _codes(report).count("chat-template-unusable") == 1 and "chat-template-error" not in _codes(report)
    finding = next(f for f in report["findings"] if f["code"] == "chat-template-unusable")
    assert finding["severity"] == "error" and finding["scope"] == "file" and str(broken) in finding["message"]
    assert "does not compile" in finding["message"]
    assert report["summary"].get("tokens") in (None, 0)


def test_a_tokenizer_without_a_chat_template_is_one_file_error_but_plain_text_is_counted(cli_path, tmp_path):
    """Defect 4: no template at all (transformers: "Cannot use chat template functions because
    tokenizer.chat_template is not set"): one finding for chat data; {"text"} rows need no template."""
    folder = _qwen3_copy(tmp_path / "no-template")
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    del config["chat_template"]
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    report, _ = _check(cli_path, tmp_path, "--tokenizer", str(folder))
    assert _codes(report).count("chat-template-unusable") == 1 and "chat-template-error" not in _codes(report)
    assert "has no chat template" in next(f["message"] for f in report["findings"]
                                          if f["code"] == "chat-template-unusable")
    text_rows = "".join(json.dumps({"text": f"plain text {i}"}) + "\n" for i in range(12))
    report, _ = _check(cli_path, tmp_path, "--tokenizer", str(folder), text=text_rows)
    assert "chat-template-unusable" not in _codes(report) and report["summary"]["tokens"] > 0
