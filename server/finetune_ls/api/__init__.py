"""Calls to OpenAI (and compatible services) through the official SDK: files, uploads,
fine-tuning jobs, models, completions. Kept apart from the engine (no network there)
and from the LSP glue, so the CLI and the language server call the same functions."""
