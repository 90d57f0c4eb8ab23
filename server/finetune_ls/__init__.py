"""finetune-ls: checks OpenAI fine-tuning JSONL files, in the editor and in CI."""

try:  # written by the build from client-vscode/package.json, the one place the version is kept
    from finetune_ls._version import __version__
except ImportError:  # run from a source tree that was never built or installed
    __version__ = "0+unknown"
