"""An open-weight model's tokenizer: where it is found, and loading it once.

Sources, in order (the first that has the files wins, and `source`/`where` say which):
1. a folder the user names (`--tokenizer PATH`);
2. the Hugging Face cache, read with huggingface_hub's own lookup (HF_HOME, HF_HUB_CACHE);
3. a download of just tokenizer.json and tokenizer_config.json through huggingface_hub, unless
   HF_HUB_OFFLINE is set (core/hub_tokenizer.py: 2 and 3 need the extra `finetune-ls[hf]`);
4. the tokenizers bundled with the package where the licence allows (core/bundled_tokenizers.py).
When none has it, TokenizerUnavailable says, in one sentence, what was tried.

`ResolvedTokenizer` is what a check's context carries (paths and a digest: small,
picklable, and a changed file changes the cache key); `load_tokenizer` turns it into
a `LoadedTokenizer` once per process.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer

from finetune_ls.core import hub_tokenizer as hub
from finetune_ls.core.bundled_tokenizers import bundled_for, bundled_names
from finetune_ls.core.hub_tokenizer import CONFIG_FILE, TOKENIZER_FILE

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
    return ResolvedTokenizer(model, str(tokenizer_file), config, "folder", str(root),
                             _digest(str(tokenizer_file), config, template_file), template_file)


def _resolved(model: str, tokenizer_file: str, config_file: str | None, source: str, where: str,
              template_file: str | None) -> ResolvedTokenizer:
    return ResolvedTokenizer(model, tokenizer_file, config_file, source, where,
                             _digest(tokenizer_file, config_file, template_file), template_file)


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
            return _resolved(model, cached.tokenizer_file, cached.config_file, "cache", cached.where, template_file)
        partial = cached
        tried.append(f"not in the Hugging Face cache ({hub.cache_folder()})")
        if hub.offline():
            tried.append("not downloaded (HF_HUB_OFFLINE is set)")
        else:
            try:
                files = hub.download(model)
                return _resolved(model, files.tokenizer_file, files.config_file, "download", files.where,
                                 template_file)
            except hub.HubRefused as error:
                refused = str(error)
                tried.append(refused)
            except hub.HubUnreachable as error:
                tried.append(str(error))
        if partial:
            return _resolved(model, partial.tokenizer_file, None, "cache", partial.where, template_file)
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


_lock = threading.Lock()
_loaded: dict[str, LoadedTokenizer] = {}


def load_tokenizer(resolved: ResolvedTokenizer) -> LoadedTokenizer:
    """The tokenizer, loaded once per process (per digest)."""
    loaded = _loaded.get(resolved.digest)
    if loaded is not None:
        return loaded
    with _lock:
        loaded = _loaded.get(resolved.digest)
        if loaded is None:
            config = json.loads(Path(resolved.config_file).read_text(encoding="utf-8")) if resolved.config_file else {}
            template = Path(resolved.template_file).read_text(encoding="utf-8") if resolved.template_file else None
            if template is None:
                template = config.get("chat_template")
                if isinstance(template, list):  # named templates: transformers uses "default"
                    named = {entry.get("name"): entry.get("template") for entry in template if isinstance(entry, dict)}
                    template = named.get("default")
            loaded = LoadedTokenizer(resolved, _read_tokenizer(resolved.tokenizer_file),
                                     template if isinstance(template, str) else None, config)
            _loaded[resolved.digest] = loaded
    return loaded


_SOURCE_WORDS = {"folder": "the folder {where}", "cache": "the Hugging Face cache ({where})", "download": "{where}",
                 "bundled": "the copy bundled with finetune-ls ({where})"}


def source_phrase(source: str, where: str) -> str:
    """Where a tokenizer was found, as messages say it: "the folder /m/Qwen3-8B", "the copy
    bundled with finetune-ls (Qwen3, Apache-2.0)"."""
    return _SOURCE_WORDS.get(source, source + " ({where})").format(where=where)


__all__ = ["source_phrase", "LoadedTokenizer", "ResolvedTokenizer", "TokenizerUnavailable", "load_tokenizer", "resolve_tokenizer"]
