"""An open-weight model's tokenizer: where it is found, and loading it once.

Sources, in order (the first that has the files wins, and the check says which):
a folder the user names (`--tokenizer PATH`), the Hugging Face cache, a download of
just tokenizer.json and tokenizer_config.json, and the tokenizers bundled with the
package where the licence allows. Only the folder is implemented here so far.

`ResolvedTokenizer` is what a check's context carries (paths and a digest: small,
picklable, and a changed file changes the cache key); `load_tokenizer` turns it into
a `LoadedTokenizer` once per process.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer

TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "tokenizer_config.json"


class TokenizerUnavailable(RuntimeError):
    """No source had the model's tokenizer; the message (one sentence) says what was tried."""


@dataclass(frozen=True)
class ResolvedTokenizer:
    model: str  # as the user named it: a Hugging Face id such as Qwen/Qwen3-8B
    tokenizer_file: str  # absolute path of tokenizer.json
    config_file: str | None  # absolute path of tokenizer_config.json (the chat template is there)
    source: str  # folder | cache | download | bundled
    where: str  # the folder, cache entry or URL, as messages show it
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


def _digest(*paths: str | None) -> str:
    sha = hashlib.sha256()
    for path in paths:
        if path:
            sha.update(Path(path).read_bytes())
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


def resolve_tokenizer(model: str, folder: str | None = None, template_file: str | None = None) -> ResolvedTokenizer:
    """Where the model's tokenizer is. Raises TokenizerUnavailable (one sentence) when nowhere."""
    if template_file is not None:
        template_file = str(Path(template_file).expanduser().resolve())
    if folder:
        return _from_folder(model, folder, template_file)
    raise TokenizerUnavailable(f"no tokenizer for {model}: name its folder with --tokenizer (the folder holding "
                               "tokenizer.json)")


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
            loaded = LoadedTokenizer(resolved, Tokenizer.from_file(resolved.tokenizer_file),
                                     template if isinstance(template, str) else None, config)
            _loaded[resolved.digest] = loaded
    return loaded


__all__ = ["LoadedTokenizer", "ResolvedTokenizer", "TokenizerUnavailable", "load_tokenizer", "resolve_tokenizer"]
