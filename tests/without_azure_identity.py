"""Run finetune-ls in a subprocess as if azure-identity were not installed, without patching
it or the SDK: a `python -c` wrapper puts an import hook first on sys.meta_path that
refuses `azure.identity` (as a missing package would: ModuleNotFoundError), then runs the
package's __main__ with the given arguments. Everything else (the openai SDK, azure-core)
imports as usual, so only the missing extra is simulated."""

from __future__ import annotations

import sys

_WRAPPER = """
import runpy, sys

class WithoutAzureIdentity:
    def find_spec(self, name, path=None, target=None):
        if name == "azure.identity" or name.startswith("azure.identity."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, WithoutAzureIdentity())
sys.argv = ["finetune-ls", *sys.argv[1:]]
runpy.run_module("finetune_ls", run_name="__main__", alter_sys=True)
"""


def command(*args: str) -> list[str]:
    """The command line that runs `finetune-ls ARGS` without azure-identity."""
    return [sys.executable, "-c", _WRAPPER, *args]
