"""The tokenizers shipped inside the package (data/tokenizers/bundled.json says which).

Only tokenizers whose licence allows redistribution are there (Qwen3, Apache-2.0); which model
ids each serves, its licence and its chat template are data in the manifest, not code. The
tokenizer.json is stored gzip-compressed (11 MB → 2 MB); `hf_tokenizer.load_tokenizer` reads
it with `Tokenizer.from_str`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class BundledTokenizer:
    name: str  # the family, as messages show it: Qwen3
    licence: str
    folder: Path  # where its files are inside the installed package
    tokenizer_file: Path  # tokenizer.json.gz
    config_file: Path | None
    template_file: Path | None  # the chat template finetune-ls renders with (replaces the config's)
    patterns: tuple[re.Pattern, ...]

    def serves(self, model: str) -> bool:
        return any(pattern.fullmatch(model) for pattern in self.patterns)


def _root() -> Path:
    return Path(str(resources.files("finetune_ls") / "data" / "tokenizers"))


@lru_cache(maxsize=1)
def bundled_tokenizers() -> tuple[BundledTokenizer, ...]:
    root = _root()
    manifest = json.loads((root / "bundled.json").read_text(encoding="utf-8"))
    found = []
    for entry in manifest["tokenizers"]:
        folder = root / entry["folder"]
        found.append(BundledTokenizer(
            entry["name"], entry["licence"], folder, folder / entry["tokenizer"],
            folder / entry["config"] if entry.get("config") else None,
            folder / entry["template"] if entry.get("template") else None,
            tuple(re.compile(pattern, re.IGNORECASE) for pattern in entry["models"])))
    return tuple(found)


def bundled_for(model: str) -> BundledTokenizer | None:
    """The bundled tokenizer that serves this Hugging Face id, if any."""
    return next((bundled for bundled in bundled_tokenizers() if bundled.serves(model)), None)


def bundled_names() -> str:
    """For messages: "Qwen3" (the families the package carries)."""
    return ", ".join(bundled.name for bundled in bundled_tokenizers())


__all__ = ["BundledTokenizer", "bundled_for", "bundled_names", "bundled_tokenizers"]
