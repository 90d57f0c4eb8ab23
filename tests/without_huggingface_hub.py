"""Run Python code in a subprocess as if huggingface_hub (the extra `finetune-ls[hf]`) were not
installed, without patching it: an import hook first on sys.meta_path refuses `huggingface_hub`
(as a missing package would: ModuleNotFoundError), then the given code runs. Everything else
(tokenizers, jinja2) imports as usual, so only the missing extra is simulated (as
tests/without_azure_identity.py does for azure-identity)."""

from __future__ import annotations

import sys

_HOOK = """
import sys

class WithoutHuggingfaceHub:
    def find_spec(self, name, path=None, target=None):
        if name == "huggingface_hub" or name.startswith("huggingface_hub."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, WithoutHuggingfaceHub())
"""


def command(code: str) -> list[str]:
    """The command line that runs `python -c CODE` without huggingface_hub."""
    return [sys.executable, "-c", _HOOK + code]
