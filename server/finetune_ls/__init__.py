"""finetune-ls: checks OpenAI fine-tuning JSONL files, in the editor and in CI."""

__version__ = "0.1.0"
