"""Calls to OpenAI (and compatible services) through the official SDK: files, uploads,
fine-tuning jobs, models, completions. Kept apart from the engine (no network there)
and from the LSP glue, so the CLI and the language server call the same functions."""


def plain(value: object) -> object:
    """The SDK's objects (and lists and dicts of them) as JSON values, for --json and LSP answers."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value
