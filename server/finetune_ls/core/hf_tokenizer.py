"""An open-weight model's tokenizer: where it is found, and loading it once.

Sources, in order (the first that has the files wins, and `source`/`where` say which):
1. a folder the user names (`--tokenizer PATH`);
2. the Hugging Face cache, read with huggingface_hub's own lookup (HF_HOME, HF_HUB_CACHE);
3. a download of just tokenizer.json, tokenizer_config.json (and chat_template.jinja when the model
   has one) through huggingface_hub, unless
   HF_HUB_OFFLINE is set (core/hub_tokenizer.py: 2 and 3 need the extra `finetune-ls[hf]`);
4. the tokenizers bundled with the package where the licence allows (core/bundled_tokenizers.py).
When none has it, TokenizerUnavailable says, in one sentence, what was tried.

`ResolvedTokenizer` is what a check's context carries (paths and a digest: small,
picklable, and a changed file changes the cache key); `load_tokenizer` turns it into
a `LoadedTokenizer` once per process; the check plan does that before the first line
(core/tokenizer_check.py), so a damaged file is one finding, never an error on each line.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer

from finetune_ls.core import hub_tokenizer as hub
from finetune_ls.core.bundled_tokenizers import bundled_for, bundled_names
from finetune_ls.core.hub_tokenizer import CONFIG_FILE, TEMPLATE_FILES, TOKENIZER_FILE

HF_EXTRA = "pip install 'finetune-ls[hf]'"


class TokenizerUnavailable(RuntimeError):
    """No source had the model's tokenizer; the message (one sentence) says what was tried."""


@dataclass(frozen=True)
class ResolvedTokenizer:
    model: str  # as the user named it: a Hugging Face id such as Qwen/Qwen3-8B
    tokenizer_file: str  # absolute path of tokenizer.json (tokenizer.json.gz for a bundled one)
    config_file: str | None  # absolute path of tokenizer_config.json (the chat template is there)
    source: str  # folder | cache | download | bundled
    # the folder, the cache snapshot folder, "downloaded from <endpoint>/<repo>", "Qwen3, Apache-2.0" (bundled)
    where: str
    digest: str  # of the two files' contents: a new tokenizer is a new cache key
    template_file: str | None = None  # a .jinja that replaces the tokenizer's own chat template
    # The model's own chat_template.jinja (or chat_template.json) beside its tokenizer: transformers
    # prefers it to the config's `chat_template` (see hub_tokenizer.TEMPLATE_FILES).
    model_template_file: str | None = None

    @property
    def key(self) -> str:
        """Names the tokenizer in summaries and cache fingerprints."""
        return f"{self.model} ({self.source}, {self.digest[:12]})"


@dataclass(frozen=True)
class LoadedTokenizer:
    resolved: ResolvedTokenizer
    tokenizer: Tokenizer
    chat_template: str | None  # the template text (from the .jinja, else the config), None if it has none
    config: dict  # tokenizer_config.json as parsed ({} without one)

    def special_token(self, name: str) -> str | None:
        """bos_token, eos_token, ... as strings (the config may hold them as AddedToken dicts)."""
        value = self.config.get(name)
        if isinstance(value, dict):
            value = value.get("content")
        return value if isinstance(value, str) else None


_file_digests: dict[tuple[str, int, int], bytes] = {}


def _file_digest(path: str) -> bytes:
    """sha256 of a file, remembered while its size and mtime stay (a check resolves the tokenizer
    each time; hashing 11 MB each time would cost more than the check of a small file)."""
    stat = os.stat(path)
    key = (path, stat.st_size, stat.st_mtime_ns)
    digest = _file_digests.get(key)
    if digest is None:
        digest = _file_digests[key] = hashlib.sha256(Path(path).read_bytes()).digest()
    return digest


def _digest(*paths: str | None) -> str:
    sha = hashlib.sha256()
    for path in paths:
        if path:
            sha.update(_file_digest(path))
        sha.update(b"\0")
    return sha.hexdigest()


def _from_folder(model: str, folder: str, template_file: str | None) -> ResolvedTokenizer:
    root = Path(folder).expanduser().resolve()
    tokenizer_file = root / TOKENIZER_FILE
    if not tokenizer_file.is_file():
        raise TokenizerUnavailable(f"{root} has no {TOKENIZER_FILE} (name the model's folder, where tokenizer.json "
                                   "and tokenizer_config.json are)")
    config_file = root / CONFIG_FILE
    config = str(config_file) if config_file.is_file() else None
    own_template = next((str(root / name) for name in TEMPLATE_FILES if (root / name).is_file()), None)
    return _resolved(model, str(tokenizer_file), config, "folder", str(root), template_file, own_template)


def _resolved(model: str, tokenizer_file: str, config_file: str | None, source: str, where: str,
              template_file: str | None, model_template_file: str | None = None) -> ResolvedTokenizer:
    return ResolvedTokenizer(model, tokenizer_file, config_file, source, where,
                             _digest(tokenizer_file, config_file, template_file, model_template_file),
                             template_file, model_template_file)


def resolve_tokenizer(model: str, folder: str | None = None, template_file: str | None = None) -> ResolvedTokenizer:
    """Where the model's tokenizer is. Raises TokenizerUnavailable (one sentence) when nowhere."""
    try:
        return _resolve(model, folder, template_file)
    except OSError as error:  # a file found but unreadable (permissions, a cache being rewritten): never a crash
        raise TokenizerUnavailable(f"the tokenizer of {model} could not be read ({error.filename or 'a file'}: "
                                   f"{error.strerror or type(error).__name__})") from None


def _resolve(model: str, folder: str | None, template_file: str | None) -> ResolvedTokenizer:
    if template_file is not None:
        template_file = str(Path(template_file).expanduser().resolve())
    if folder:
        return _from_folder(model, folder, template_file)
    tried = []  # what each source said, for the message when none has it
    refused = None  # the Hub's refusal (gated, private, missing): the message when nothing else has it
    partial = None  # tokenizer.json cached without knowing about the config: used if the download fails
    if hub.hub() is None:
        tried.append(f"the Hugging Face cache and downloads need huggingface_hub ({HF_EXTRA} lets finetune-ls "
                     "read the Hugging Face cache or download)")
    else:
        cached, complete = hub.from_cache(model)
        if cached and (complete or hub.offline()):
            return _resolved(model, cached.tokenizer_file, cached.config_file, "cache", cached.where, template_file,
                             cached.template_file)
        partial = cached
        tried.append(f"not in the Hugging Face cache ({hub.cache_folder()})")
        if hub.offline():
            tried.append("not downloaded (HF_HUB_OFFLINE is set)")
        else:
            try:
                files = hub.download(model)
                return _resolved(model, files.tokenizer_file, files.config_file, "download", files.where,
                                 template_file, files.template_file)
            except hub.HubRefused as error:
                refused = str(error)
                tried.append(refused)
            except hub.HubUnreachable as error:
                tried.append(str(error))
        if partial:
            return _resolved(model, partial.tokenizer_file, partial.config_file, "cache", partial.where, template_file,
                             partial.template_file)
    bundled = bundled_for(model)
    if bundled:
        template = template_file or (str(bundled.template_file) if bundled.template_file else None)
        return _resolved(model, str(bundled.tokenizer_file), str(bundled.config_file) if bundled.config_file else None,
                         "bundled", f"{bundled.name}, {bundled.licence}", template)
    if refused:  # gated or private: what to do about it is the whole message
        raise TokenizerUnavailable(f"{refused}, or name its folder with --tokenizer")
    tried.append(f"not among the tokenizers bundled with finetune-ls ({bundled_names()})")
    raise TokenizerUnavailable(f"no tokenizer for {model}: {', '.join(tried)}; name the model's folder with "
                               "--tokenizer (the folder holding tokenizer.json)")


def _read_tokenizer(path: str) -> Tokenizer:
    if path.endswith(".gz"):  # the bundled ones are stored compressed
        return Tokenizer.from_str(gzip.decompress(Path(path).read_bytes()).decode("utf-8"))
    return Tokenizer.from_file(path)


def _read_json(path: str) -> dict:
    value = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise ValueError(f"it holds a JSON {type(value).__name__}, not an object")
    return value


def _config_template(config: dict) -> object:
    template = config.get("chat_template")
    if isinstance(template, list):  # named templates: transformers uses "default"
        named = {entry.get("name"): entry.get("template") for entry in template if isinstance(entry, dict)}
        template = named.get("default")
    return template


def _chat_template(resolved: ResolvedTokenizer, config: dict) -> str | None:
    """The template transformers would use: the user's file; else the model's chat_template.jinja
    (tokenization_utils_base.py `from_pretrained`: the file takes priority over the config's
    entry); else the config's `chat_template`; else the older chat_template.json ({"chat_template": ...})."""
    if resolved.template_file:
        return Path(resolved.template_file).read_text(encoding="utf-8")
    own = resolved.model_template_file
    if own and own.endswith(".jinja"):
        return Path(own).read_text(encoding="utf-8")
    template = _config_template(config)
    if not isinstance(template, str) and own:
        template = _config_template(_read_json(own))
    return template if isinstance(template, str) else None


def _what(path: str, resolved: ResolvedTokenizer, error: Exception) -> str:
    """What is wrong with a file, as the end of a sentence that starts with its path."""
    if isinstance(error, OSError):
        return f"could not be read ({error.strerror or type(error).__name__})"
    if isinstance(error, UnicodeDecodeError):
        return "is not UTF-8 text"
    if isinstance(error, json.JSONDecodeError):
        return f"is not JSON ({error.msg} at line {error.lineno}, column {error.colno})"
    detail = (str(error).strip().splitlines() or [type(error).__name__])[0][:200].rstrip(".")
    if path == resolved.tokenizer_file:  # tokenizers' own message: one line, e.g. "missing field `model`"
        return f"is not a tokenizer that the tokenizers library can load ({detail})"
    return f"is not what it should be ({detail})"


def _load(resolved: ResolvedTokenizer) -> LoadedTokenizer:
    """Reads each file in turn, so that a damaged one is named: TokenizerUnavailable (one sentence)."""
    reading = resolved.config_file
    try:
        config = _read_json(resolved.config_file) if resolved.config_file else {}
        reading = resolved.template_file or resolved.model_template_file
        template = _chat_template(resolved, config)
        reading = resolved.tokenizer_file
        tokenizer = _read_tokenizer(resolved.tokenizer_file)
    except Exception as error:  # any damage (a file half-written, not JSON, not a tokenizer): never a crash
        raise TokenizerUnavailable(f"{reading} {_what(reading, resolved, error)}") from None
    return LoadedTokenizer(resolved, tokenizer, template, config)


_lock = threading.Lock()
_loaded: dict[str, LoadedTokenizer] = {}


def load_tokenizer(resolved: ResolvedTokenizer) -> LoadedTokenizer:
    """The tokenizer, loaded once per process (per digest). Raises TokenizerUnavailable when a
    file is damaged (the check plan loads it first, so that is one file finding, not one per line)."""
    loaded = _loaded.get(resolved.digest)
    if loaded is not None:
        return loaded
    with _lock:
        loaded = _loaded.get(resolved.digest)
        if loaded is None:
            loaded = _loaded[resolved.digest] = _load(resolved)
    return loaded


_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")


def folder_model(folder: str) -> str:
    """The model a tokenizer folder is of, for a check that names no model: the config's
    `name_or_path` when it is a Hugging Face id (transformers writes it on save_pretrained), else
    the folder's own name (so summaries never name a catalog default the counts are not of)."""
    root = Path(folder).expanduser().resolve()
    try:
        name = _read_json(str(root / CONFIG_FILE)).get("name_or_path")
    except Exception:  # no config, or a damaged one (the load says so): the folder's name
        name = None
    if isinstance(name, str) and _HUB_ID.fullmatch(name) and not Path(name).exists():
        return name
    return root.name or str(root)


_SOURCE_WORDS = {"folder": "the folder {where}", "cache": "the Hugging Face cache ({where})", "download": "{where}",
                 "bundled": "the copy bundled with finetune-ls ({where})"}


def source_phrase(source: str, where: str) -> str:
    """Where a tokenizer was found, as messages say it: "the folder /m/Qwen3-8B", "the copy
    bundled with finetune-ls (Qwen3, Apache-2.0)"."""
    return _SOURCE_WORDS.get(source, source + " ({where})").format(where=where)


__all__ = ["folder_model", "source_phrase", "LoadedTokenizer", "ResolvedTokenizer", "TokenizerUnavailable", "load_tokenizer", "resolve_tokenizer"]
