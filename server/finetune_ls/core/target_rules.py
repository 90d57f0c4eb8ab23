"""The line rules of the open-weight targets (Together, TRL, axolotl, Unsloth).

OpenAI's rules (core/checks.py) do not apply to them: each trainer reads the data
its own way. Every rule here rests on a source named in its message and in
../shared/reference/providers.md (keys TG-PY1, TG-PY3, TG-DOCS, TRL, AXO, UNS):

- Together: the rules of its published SDK validator. The legacy SDK (together-python
  1.5.34, src/together/utils/files.py) checked every line on the client; the current SDK
  (together 3.1.1, together/lib/utils/files.py `_check_jsonl`) checks only that each
  line is a JSON object ("Semantic checks run on the server after upload") but keeps the
  server's contract in together/lib/constants.py (roles, columns, image limits,
  MIN_SAMPLES). Rules the constants or the docs still state are errors; checks only the
  legacy SDK made are warnings that say the server's behaviour is unconfirmed.
- TRL and Unsloth (TRL's SFTTrainer underneath): roles are whatever the chat template
  accepts (the template raises otherwise: the template's own finding), and a message's
  `weight` is not read anywhere in TRL (trl/data_utils.py), so its 0s are trained.
- axolotl (src/axolotl/prompt_strategies/chat_template.py): a message's `weight` is read
  only when the dataset names it in `message_field_training`; per-part `train`/`weight`
  inside content lists is honoured, and a part that ends in whitespace at a train/mask
  boundary gets its last word masked (axolotl logs a warning).

The caller passes a FileContext (core/analysis.py) as `ctx`; only `target`,
`provider_name`, `training` and `model` are read, so this module does not import it.
"""

from __future__ import annotations

from finetune_ls.core import rules as R
from finetune_ls.core.findings import Severity
from finetune_ls.core.places import describe
from finetune_ls.core.report import LineReport
from finetune_ls.core.shapes import (
    CHAT, CHOSEN_REJECTED, PREFERENCE, PROMPT_COMPLETION, REINFORCEMENT, TEXT, Foreign, target_formats,
)
from finetune_ls.core.targets import target_info

TOGETHER_ROLES = ("system", "user", "assistant", "tool")  # TG-PY3 constants POSSIBLE_ROLES_CONVERSATION
TOGETHER_COLUMNS = {  # TG-PY3 constants JSONL_REQUIRED_COLUMNS_MAP + JSONL_EXTRA_COLUMNS_MAP
    CHAT: ("messages", "tools"),
    PROMPT_COMPLETION: ("prompt", "completion"),
    TEXT: ("text",),
    PREFERENCE: ("input", "preferred_output", "non_preferred_output"),
}
TOGETHER_MAX_IMAGES = 10  # TG-PY3 constants MAX_IMAGES_PER_EXAMPLE
TOGETHER_MAX_IMAGE_BYTES = 10 * 1024 * 1024  # TG-PY3 constants MAX_IMAGE_BYTES
TOGETHER_IMAGE_TYPES = ("jpeg", "png", "webp")  # TG-PY1 files.py: data:image/{jpeg|png|webp};base64
TOGETHER_MIN_SAMPLES = 1  # TG-PY3 constants MIN_SAMPLES, checked by the client (_check_samples_count)

_SDK = "Together's published SDK validator"
_LEGACY = ("Together's legacy SDK validator (together-python 1.5.34, files.py) rejects this; the current SDK "
           "(together 3.1.1) no longer checks it on the client and leaves it to the server, whose rule is "
           "unconfirmed")

_FORMAT_WORDS = {CHAT: 'chat ({"messages": [...]})', PROMPT_COMPLETION: 'prompt/completion ({"prompt", "completion"})',
                 TEXT: 'text ({"text": ...})', PREFERENCE: 'preference ({"input", "preferred_output", '
                 '"non_preferred_output"})', CHOSEN_REJECTED: 'preference ({"prompt"?, "chosen", "rejected"})',
                 REINFORCEMENT: "reinforcement"}


# ------------------------------------------------------------------ dispatch
def plain_for_target(example: dict, target: str) -> bool:
    """Whether a plain conversation (core/checks.py plain_conversation) is one no rule of
    `target` objects to, so the fast path may skip the checks. Together alone has a rule
    such a line can break: no two consecutive messages with the same role."""
    if target != "together":
        return True
    messages = example.get("messages")
    return all(a.get("role") != b.get("role") for a, b in zip(messages, messages[1:]))


def check_line(example: dict, fmt: str, report: LineReport, ctx) -> int:
    """The target's rules for one example of format `fmt`. Returns the example's images."""
    if ctx.target == "together":
        return _together(example, fmt, report)
    if ctx.target == "axolotl":
        _axolotl(example, fmt, report)
    else:  # trl, unsloth
        _weight_ignored(example, fmt, report, ctx.provider_name)
    if fmt == CHOSEN_REJECTED:
        _identical_choices(example, report)
    return _count_images(example)


def not_a_target_format(value: object, shape: str, report: LineReport, ctx) -> bool:
    """A line in a shape the target does not train on, in its words. False: leave it
    to the generic findings (not an object, one message per line, unknown keys)."""
    name = ctx.provider_name
    takes = ", ".join(_FORMAT_WORDS[f] for f in target_formats(ctx.target))
    if shape in _FORMAT_WORDS:
        # axolotl maps top-level field names in its dataset config, so most shapes may still
        # load; OpenAI's preference format nests its prompt (input.messages) and wraps each
        # answer in a one-message list, which no field mapping of axolotl's DPO types reads.
        readable = ctx.target == "axolotl" and shape != PREFERENCE
        why = _AXOLOTL_PREFERENCE if ctx.target == "axolotl" and shape == PREFERENCE else ""
        report.add(R.TARGET_FORMAT, f"This line is {_FORMAT_WORDS[shape]} data, which {name} does not read as "
                   f"training data{why}; {name} takes {takes}.", severity=Severity.WARNING if readable else None)
        return True
    if shape in Foreign.NAMES:
        reader = _FOREIGN_READERS.get((ctx.target, shape))
        if reader:  # the trainer reads it once configured: say how, and that this check skips it
            report.add(R.FOREIGN_FORMAT, f"This line is {Foreign.NAMES[shape]}: {reader}. finetune-ls does not check "
                       f"or count such lines; convert them to chat ({{\"messages\": [...]}}) to have them checked.",
                       severity=Severity.WARNING)
        else:
            report.add(R.FOREIGN_FORMAT, f"This line is {Foreign.NAMES[shape]}, which is not among the formats "
                       f"{name} trains on; {name} takes {takes}.")
        return True
    return False


_AXOLOTL_PREFERENCE = (" (axolotl's DPO dataset types read top-level prompt/chosen/rejected fields, renamed with "
                       "field_prompt/field_chosen/field_rejected; OpenAI's nested input.messages and one-message "
                       "answer lists map onto none of them: docs.axolotl.ai rlhf)")

# Other tools' shapes a trainer reads with a dataset setting or a conversion function of its
# own (so a warning, not an error). TRL's SFTTrainer has no reader for them (trl/data_utils.py
# knows only messages, prompt/completion and text), and Together takes only its own formats.
_FOREIGN_READERS = {
    ("axolotl", Foreign.ALPACA): "axolotl reads it with `type: alpaca` in the dataset config "
                                 "(docs.axolotl.ai dataset-formats/inst_tune)",
    ("axolotl", Foreign.SHAREGPT): "axolotl reads it with `type: chat_template`, `field_messages: conversations` and "
                                   "`message_property_mappings: {role: from, content: value}` in the dataset config "
                                   "(docs.axolotl.ai dataset-formats/conversation)",
    ("unsloth", Foreign.ALPACA): "Unsloth reads it after `to_sharegpt` merges its columns into a conversation and "
                                 "`standardize_sharegpt` makes role/content messages (unsloth/chat_templates.py)",
    ("unsloth", Foreign.SHAREGPT): "Unsloth reads it after `standardize_sharegpt` (or `standardize_data_formats`) "
                                   "turns from/value into role/content messages (unsloth/chat_templates.py)",
}


# ------------------------------------------------------------------ Together
def _together(example: dict, fmt: str, report: LineReport) -> int:
    allowed = TOGETHER_COLUMNS.get(fmt, ())
    for key in example:
        if key not in allowed:
            report.add(R.TOGETHER_RULE, f'Unknown column "{key}": {_SDK} allows only {", ".join(allowed)} in '
                       f"this format (together 3.1.1 constants JSONL_REQUIRED_COLUMNS_MAP / JSONL_EXTRA_COLUMNS_MAP).",
                       (key,), key=True)
    if fmt == CHAT:
        return _together_messages(example, example.get("messages"), ("messages",), report, need_assistant=True)
    if fmt == PREFERENCE:
        return _together_preference(example, report)
    if fmt == PROMPT_COMPLETION:
        # The legacy validator checks prompt and completion as a message's content: a string or a list of
        # content parts. A list of messages (TRL's conversational prompt-completion) is neither.
        for key in ("prompt", "completion"):
            value = example.get(key)
            if isinstance(value, list) and any(isinstance(item, dict) and "role" in item for item in value):
                report.add(R.TOGETHER_UNCONFIRMED, f"{key} is a list of messages; Together reads {key} as text (a "
                           f"string or a list of content parts). {_LEGACY}.", (key,))
    return 0


def _together_messages(example: dict, messages: object, base: tuple, report: LineReport, need_assistant: bool) -> int:
    if not isinstance(messages, list):
        return 0
    images, kinds, assistant, previous = 0, set(), False, None
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        path = base + (index,)
        role = message.get("role")
        if isinstance(role, str) and role not in TOGETHER_ROLES:
            report.add(R.TOGETHER_RULE, f'Role "{role}" is not one Together takes: {", ".join(TOGETHER_ROLES)} '
                       f"({_SDK}, together 3.1.1 constants POSSIBLE_ROLES_CONVERSATION).", path + ("role",))
        if role == "tool" and previous == "tool":
            # Parallel tool results: the legacy validator had no tool role, the current SDK's constants allow
            # it, and nothing says whether the server's alternation rule spares consecutive tool messages.
            report.add(R.TOGETHER_UNCONFIRMED, f"{_where(example, path)} follows another tool message; {_SDK} "
                       "needs the roles to alternate, and whether Together's server accepts consecutive tool results "
                       "(parallel tool calls) is unconfirmed.", path + ("role",))
        elif role is not None and role == previous:
            report.add(R.TOGETHER_RULE, f'{_where(example, path)} has the same role ("{role}") as the message before '
                       f"it; {_SDK} and Together's data-preparation docs need the roles to alternate. Merge the "
                       "two messages.", path + ("role",))
        previous = role
        assistant = assistant or role == "assistant"
        weight = message.get("weight")
        if "weight" in message and (type(weight) is not int or weight not in (0, 1)):
            report.add(R.TOGETHER_UNCONFIRMED, f"weight is {weight!r}; it must be the integer 0 or 1. {_LEGACY}.",
                       path + ("weight",))
        content = message.get("content")
        if isinstance(content, (str, list)):
            kinds.add(type(content))
        if isinstance(content, list):
            here = _together_images(example, content, path, role, report)
            images += here
            if here and weight not in (None, 0):
                report.add(R.TOGETHER_UNCONFIRMED, f"{_where(example, path)} holds images and weight {weight!r}: a "
                           f"message with images cannot be trained on (weight must be 0). {_LEGACY}.",
                           path + ("weight",))
    if need_assistant and not assistant:
        report.add(R.TOGETHER_UNCONFIRMED, f"No assistant message: nothing to train on. {_LEGACY}.", base)
    if len(kinds) > 1:
        report.add(R.TOGETHER_UNCONFIRMED, "Some contents are strings and some are lists of parts: all contents of "
                   f"an example must be one or the other. {_LEGACY}.", base)
    if images > TOGETHER_MAX_IMAGES:
        report.add(R.TOGETHER_RULE, f"{images} images in one example; {_SDK} takes at most {TOGETHER_MAX_IMAGES} "
                   "(together 3.1.1 constants MAX_IMAGES_PER_EXAMPLE). Split the example or drop images.", base)
    return images


def _together_images(example: dict, content: list, path: tuple, role: object, report: LineReport) -> int:
    images = 0
    for part_index, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type") != "image_url":
            continue
        images += 1
        part_path = path + ("content", part_index)
        if role != "user":
            report.add(R.TOGETHER_UNCONFIRMED, f"An image in {describe(example, path)}: images are allowed only in "
                       f"user messages. {_LEGACY}.", part_path)
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else None
        if not isinstance(url, str):
            continue
        problem = _together_image_problem(url)
        if problem:
            report.add(R.TOGETHER_RULE, f"Image in {describe(example, part_path)}: {problem} ({_SDK}; together 3.1.1 "
                       "constants MAX_IMAGE_BYTES, MAX_BASE64_IMAGE_LENGTH).", part_path + ("image_url", "url"))
    return images


def _together_image_problem(url: str) -> str | None:
    head = url[:40].lower()
    if not head.startswith("data:"):
        return "Together takes images only as base64 data URLs (data:image/png;base64,...), not links"
    kind = head[len("data:image/"):].split(";", 1)[0] if head.startswith("data:image/") else ""
    if kind not in TOGETHER_IMAGE_TYPES or ";base64," not in url[:60].lower():
        return "the data URL must be data:image/jpeg, png or webp;base64,..."
    payload = len(url) - url.index(",") - 1
    size = payload * 3 // 4
    if size > TOGETHER_MAX_IMAGE_BYTES:
        return f"the image is {size / 1024 / 1024:.1f} MB; Together's limit is 10 MB"
    return None


def _together_preference(example: dict, report: LineReport) -> int:
    source = example.get("input")
    images = 0
    if isinstance(source, dict) and isinstance(source.get("messages"), list):
        messages = source["messages"]
        images = _together_messages(example, messages, ("input", "messages"), report, need_assistant=False)
        last = messages[-1] if messages else None
        if isinstance(last, dict) and last.get("role") == "assistant":
            report.add(R.TOGETHER_UNCONFIRMED, "The last input message is the assistant's: the outputs answer the "
                       f"input, so it must end with a user (or tool) turn. {_LEGACY}.",
                       ("input", "messages", len(messages) - 1))
    # Exactly one assistant message per output: the preference schema (OpenAI's format) says so.
    return images


# ------------------------------------------------------------------ TRL, Unsloth
def _weight_ignored(example: dict, fmt: str, report: LineReport, name: str) -> None:
    """One finding per line, at the first `weight`: a line's result depends only on its
    own text (results are cached per line and the editor re-checks only edited lines),
    and the line is where the user acts. The message counts the line's weights."""
    found = [path for path, message in _messages(example) if isinstance(message, dict) and "weight" in message]
    if not found:
        return
    zeros = sum(1 for path in found if _at(example, path).get("weight") == 0)
    lost = (f" {zeros} message(s) here have weight 0: {name} trains on them anyway (with assistant_only_loss, "
            "on every assistant message)." if zeros else "")
    report.add(R.WEIGHT_IGNORED, f'{name} ignores "weight" on messages (TRL reads no per-message weight: '
               f"trl/data_utils.py); {len(found)} message(s) on this line carry one.{lost} To leave a message out "
               "of the loss, drop it from the example.", found[0] + ("weight",), key=True)


def _identical_choices(example: dict, report: LineReport) -> None:
    chosen, rejected = example.get("chosen"), example.get("rejected")
    if chosen is not None and chosen == rejected:
        report.add(R.PREFERENCE_IDENTICAL, "chosen and rejected are identical: the DPO loss compares them, so the "
                   "example teaches no preference. Write a worse rejected answer or remove the example.",
                   ("rejected",))


# ------------------------------------------------------------------ axolotl
def _axolotl(example: dict, fmt: str, report: LineReport) -> None:
    found = []
    for path, message in _messages(example):
        if not isinstance(message, dict):
            continue
        if "weight" in message:
            found.append(path)
        content = message.get("content")
        if isinstance(content, list):
            _part_boundaries(example, content, path + ("content",), report)
    if found:
        report.add(R.WEIGHT_IGNORED, f'axolotl reads a message\'s "weight" only when the dataset sets '
                   "message_field_training: weight (chat_template strategy; its default reads no such key); "
                   f"{len(found)} message(s) on this line carry one. Set it in the dataset config, or use "
                   "roles_to_train, or per-part train/weight inside content lists.", found[0] + ("weight",), key=True)


def _part_boundaries(example: dict, parts: list, path: tuple, report: LineReport) -> None:
    """axolotl concatenates text parts and masks a token that straddles two parts with
    different training flags; a part ending in a space or tab at such a boundary loses
    its last word (chat_template.py `_convert_content_parts` logs the same warning)."""
    flags = []
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            continue
        text = part.get("text") or part.get("content") or part.get("value") or ""
        if not isinstance(text, str) or not text:
            continue
        train = part.get("train")
        if train is None and part.get("weight") is not None:
            train = part.get("weight") not in (0, 0.0)
        flags.append((index, text, train))
    if not any(train is not None for _, _, train in flags):
        return
    for (index, text, train), (_, _, following) in zip(flags, flags[1:]):
        explicit = (True if train is None else train) != (True if following is None else following)
        if explicit and text[-1] in (" ", "\t"):
            report.add(R.PART_BOUNDARY_WHITESPACE, f"{_where(example, path + (index,))} ends with whitespace where "
                       "training switches on or off: the space merges with the next part's first word into one token "
                       "that straddles the boundary, and axolotl masks it. Move the space to the start of the next "
                       "part.", path + (index, "text"))


# ------------------------------------------------------------------ length
def too_long_message(ctx, total: int, limit: int, cut: str) -> str:
    """The example-too-long message for an open-weight trainer: its setting and value,
    where the cut falls (`cut`, today's wording), and what happens to the rest."""
    info = target_info(ctx.target)
    setting = info.max_seq_length_setting or "max_seq_length"
    overflow = ctx.training.overflow if ctx.training is not None else info.overflow
    head = f"This example has {total:,} tokens, over {info.name}'s {setting} of {limit:,}"
    if overflow == "drop":
        return (f"{head}: axolotl drops the whole example (excess_length_strategy: drop, its default), so none of "
                f"its {total:,} tokens is trained. Raise {setting}, shorten the example, or set "
                "excess_length_strategy: truncate (then it keeps the start)." + cut)
    if ctx.target == "together":
        return (f"{head} (the job's max_seq_length): Together truncates it and trains on the first {limit:,} "
                "tokens (its fine_tuning.preview reports such rows as truncated)." + cut)
    how = "(SFTConfig truncation_mode keep_start)" if ctx.target == "trl" else \
        "(Unsloth trains with TRL's SFTTrainer, which keeps the start; not checked in Unsloth's own code)"
    return f"{head}: {info.name} truncates it and trains on the first {limit:,} tokens {how}; the rest is lost." + cut


_PROMPT_KEYS, _CHOSEN_KEYS, _REJECTED_KEYS = ("prompt", "input"), ("chosen", "preferred_output"), \
    ("rejected", "non_preferred_output")


def preference_too_long(ctx, tokens, limit: int) -> tuple[str, tuple] | None:
    """Preference data is trained as two sequences, prompt + chosen and prompt + rejected,
    each cut at max_length (TRL DPOTrainer's collator, truncation_mode keep_start; TRL
    trl/trainer/dpo_trainer.py): the example's total (the pair) is not what is cut. The
    message and the path of the longer answer, or None when both sequences fit."""
    parts = {"prompt": 0, "chosen": 0, "rejected": 0}
    for path, count in tokens.messages:
        key = path[0] if path else None
        for name, keys in (("prompt", _PROMPT_KEYS), ("chosen", _CHOSEN_KEYS), ("rejected", _REJECTED_KEYS)):
            if key in keys:
                parts[name] += count
    rest = tokens.total - sum(parts.values())  # the template's own tokens outside the messages
    chosen, rejected = parts["prompt"] + parts["chosen"] + rest, parts["prompt"] + parts["rejected"] + rest
    longest = max(chosen, rejected)
    if longest <= limit:
        return None
    info = target_info(ctx.target)
    setting = info.max_seq_length_setting or "max_seq_length"
    which = "chosen" if chosen >= rejected else "rejected"
    key = next((path[0] for path, _ in tokens.messages if path and path[0] in
                (_CHOSEN_KEYS if which == "chosen" else _REJECTED_KEYS)), which)
    overflow = ctx.training.overflow if ctx.training is not None else info.overflow
    what = ("axolotl drops the whole example (excess_length_strategy: drop; whether its DPO path applies it is "
            "unconfirmed)" if overflow == "drop" else
            f"{info.name} truncates each sequence to its first {limit:,} tokens (keep_start), so the end of the "
            "answer is not trained")
    return (f"Prompt + {which} is {longest:,} tokens (prompt + chosen {chosen:,}, prompt + rejected {rejected:,}), "
            f"over {info.name}'s {setting} of {limit:,}: {what}. Shorten the prompt or the answers, or raise "
            f"{setting}.", (key,))


# ------------------------------------------------------------------ helpers
def _messages(example: dict):
    """(path, message) for every message of the example, whatever the format."""
    for key in ("messages", "prompt", "completion", "chosen", "rejected"):
        value = example.get(key)
        if isinstance(value, list):
            for index, message in enumerate(value):
                yield (key, index), message


def _at(example: dict, path: tuple) -> dict:
    return example[path[0]][path[1]]


def _where(example: dict, path: tuple) -> str:
    text = describe(example, path)
    return text[0].upper() + text[1:]


def _count_images(example: dict) -> int:
    return sum(1 for _, message in _messages(example) if isinstance(message, dict)
               for part in (message.get("content") if isinstance(message.get("content"), list) else ())
               if isinstance(part, dict) and part.get("type") in ("image_url", "image"))


__all__ = ["TOGETHER_MIN_SAMPLES", "check_line", "not_a_target_format", "plain_for_target", "preference_too_long",
           "too_long_message"]
