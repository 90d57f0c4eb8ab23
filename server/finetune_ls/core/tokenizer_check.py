"""An open-weight target's tokenizer and chat template, opened once per check before any line.

A damaged tokenizer folder (a tokenizer.json that is no tokenizer, a config that is not JSON, a
file half-written in the Hugging Face cache) or a chat template that cannot be used would
otherwise fail on every line; here it becomes one sentence, and the check plan turns it into one
file finding (`tokenizer-unavailable`, `chat-template-unusable`) and counts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from finetune_ls.core.chat_template import SPECIAL_TOKEN_NAMES, TemplateRefused, compiled_template
from finetune_ls.core.hf_tokenizer import ResolvedTokenizer, TokenizerUnavailable, load_tokenizer, resolve_tokenizer
from finetune_ls.core.shapes import CHOSEN_REJECTED, PROMPT_COMPLETION, TEXT

# The keys whose list values make a TRL row conversational (trl/data_utils.py is_conversational):
# such a row is rendered with the chat template, a row of strings is not.
_PAIR_KEYS = ("prompt", "completion", "chosen", "rejected")


@dataclass(frozen=True)
class OpenedTokenizer:
    resolved: ResolvedTokenizer | None  # None: nothing is counted
    unavailable: str | None = None  # why there is no tokenizer (tokenizer-unavailable)
    template_unusable: str | None = None  # why its chat template cannot render (chat-template-unusable)


def needs_template(fmt: str, sample: list) -> bool:
    """Whether the file's examples are rendered with the chat template: plain text is not, TRL's
    prompt-completion and chosen/rejected rows only when they hold message lists."""
    if fmt == TEXT:
        return False
    if fmt in (PROMPT_COMPLETION, CHOSEN_REJECTED):
        return any(isinstance(value, dict) and any(isinstance(value.get(key), list) for key in _PAIR_KEYS)
                   for value in sample)
    return True


def open_tokenizer(model: str, folder: str | None, template_file: str | None, template_needed: bool) -> OpenedTokenizer:
    """Resolves and loads the tokenizer, and compiles its chat template when the file needs one."""
    try:
        resolved = resolve_tokenizer(model, folder, template_file)
        loaded = load_tokenizer(resolved)
    except TokenizerUnavailable as error:
        return OpenedTokenizer(None, unavailable=str(error))
    if not template_needed:
        return OpenedTokenizer(resolved)
    if not loaded.chat_template:
        return OpenedTokenizer(None, template_unusable=(
            f"the tokenizer of {model} has no chat template (neither chat_template.jinja nor a chat_template in "
            "tokenizer_config.json); name one with --chat-template (the `chatTemplate` setting)"))
    try:
        compiled_template(loaded.chat_template, {name: loaded.special_token(name) for name in SPECIAL_TOKEN_NAMES})
    except TemplateRefused as error:
        source = resolved.template_file or resolved.model_template_file or resolved.config_file or model
        return OpenedTokenizer(None, template_unusable=f"{source}: {error}")
    return OpenedTokenizer(resolved)


__all__ = ["OpenedTokenizer", "needs_template", "open_tokenizer"]
