"""Tokens of an example as an open-weight trainer sees them: the model's chat template renders
it (core/chat_template.py, as transformers' `apply_chat_template`), the model's tokenizer encodes
the rendering with add_special_tokens=False (the template writes BOS itself; transformers'
`apply_chat_template(tokenize=True)` does the same), and the trainer's setting decides which
tokens are trained.

What each format is, as TRL builds it (trl 1.16: trl/trainer/sft_trainer.py and dpo_trainer.py,
`_prepare_dataset` and its tokenize_fn; trl/data_utils.py `_tokenize`, `extract_prompt`):
- CHAT: `messages` rendered with the line's `tools` as they are (a JSON string parsed first), as
  sft_trainer.py's tokenize_fn calls `apply_chat_template(messages, tools=tools)`. Trained: every
  token by default (`assistant_only_loss=False`); with assistant-only loss TRL swaps in a training
  template with `{% generation %}` marks when the model's has none, so here the generation spans
  where the template has them, else the assistant messages' spans.
- REINFORCEMENT: the messages rendered; no token is trained (a grader scores samples).
- PREFERENCE (OpenAI/Together `input.messages`, `preferred_output`, `non_preferred_output`),
  CHOSEN_REJECTED (TRL's `prompt`/`chosen`/`rejected`) and PROMPT_COMPLETION: dpo_trainer.py tokenizes
  the prompt alone (conversational: rendered with add_generation_prompt=True) and prompt + each answer;
  the prompt is the ids both share from the start, each answer the rest. Strings ("standard" rows) are
  tokenized with the tokenizer's special tokens after TRL's add_eos appends the EOS text to each answer.
  Without a `prompt` key, extract_prompt takes the two conversations' common start. Total = prompt +
  answers; trained = the answers (DPO's loss; SFT's completion_only_loss, on by default for
  prompt-completion rows).
- TEXT: `text` + EOS (add_eos), tokenized with special tokens (the BOS the tokenizer adds).

Message boundaries (for per-message counts and spans of roles): the rendering of the first j
messages ends where message j-1 ends in the whole rendering, so one rendering per prefix gives
every boundary. A template may render the last message of a prefix differently from how it
renders the same message mid-conversation: Qwen3 inserts an empty `<think>\\n\\n</think>\\n\\n`
into the last assistant turn. The prefix's rendering is then the whole one's start plus an
insertion plus more of the whole one, so the boundary is found by matching the prefix's tail
after the insertion (`_align`). Llama 3 and 3.1 (a date preamble, a BOS on the first message)
and DeepSeek-V3 (a BOS and the system prompt before the first turn) render prefixes as exact
starts of the whole. The text before the first message's boundary (BOS, a preamble the template
writes) belongs to no message. A prefix the template refuses (Qwen3's newer template raises
without a user turn) falls back on where the message's content ends in the rendering.

One rendering per prefix costs the square of the conversation's length (a 2,000-message line:
seconds), so beyond _PREFIX_LIMIT messages the boundaries come from one rendering that records
where the template's loop over `messages` starts each message (core/chat_template.py,
`boundaries`). That is the same boundary as the prefix's end wherever a template writes each
message within its own iteration (Qwen3's think insertion goes into the prefix's rendering only,
so it does not matter; Llama 3.1's and gemma3's system message, taken out of the loop, ends
where the loop's first message starts). It differs where a template writes a message's closing
in the next message's iteration: Qwen3 opens a run of tool results with the first and closes it
with the last, so a tool result's separating newline goes to the next one, not to it;
DeepSeek-V3 closes a run of tool outputs (`<｜tool▁outputs▁end｜>`) in the next message's
iteration, so those tokens go to the message after the run. The recording is checked: most
messages' contents must be within their recorded spans (of those in the rendering at all); a
template whose loop does not yield as it goes (its output buffered in a macro or a
`set` block) fails that check and falls back on where each message's content ends.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from contextlib import contextmanager

from finetune_ls.core.chat_template import (
    SPECIAL_TOKEN_NAMES, Rendering, RowRefused, TemplateRefused, compiled_template,
)
from finetune_ls.core.hf_tokenizer import ResolvedTokenizer, load_tokenizer
from finetune_ls.core.shapes import CHOSEN_REJECTED, PREFERENCE, PROMPT_COMPLETION, REINFORCEMENT, TEXT
from finetune_ls.core.targets import TrainingSetup
from finetune_ls.core.tokens import ExampleTokens

_CACHE_LIMIT = 4096
_INSERTION_LIMIT = 512  # characters a template may insert into a prefix's last message (Qwen3: 19)
_EOS_REACH = 3  # axolotl looks for a turn's EOS this many tokens past the turn's end
_PREFIX_LIMIT = 48  # messages up to which boundaries come from one rendering per prefix (module docstring)


class TemplateCounter:
    """Counts with the model's tokenizer and chat template. `count` and `plain` as TokenCounter's."""

    def __init__(self, resolved: ResolvedTokenizer, training: TrainingSetup):
        loaded = load_tokenizer(resolved)
        self.training = training
        self._tokenizer = loaded.tokenizer
        specials = {name: loaded.special_token(name) for name in SPECIAL_TOKEN_NAMES}
        self._eos = specials.get("eos_token")
        self._eos_id = self._tokenizer.token_to_id(self._eos) if self._eos else None
        bos = specials.get("bos_token")
        # Whether encoding with special tokens adds a BOS (TEXT, standard preference data).
        self._bos_ids = []
        if bos and self._tokenizer.token_to_id(bos) is not None:
            with_specials = self._tokenizer.encode("a").ids
            if with_specials and with_specials[0] == self._tokenizer.token_to_id(bos):
                self._bos_ids = [with_specials[0]]
        self._template_error = None
        self.template = None
        if loaded.chat_template:
            try:
                self.template = compiled_template(loaded.chat_template, specials)
            except TemplateRefused as error:
                self._template_error = str(error)
        else:
            self._template_error = (f"the tokenizer of {resolved.model} has no chat template (name one with "
                                    "--chat-template)")
        self._plain_cache: dict[tuple, tuple[int, int]] = {}
        self._known_lengths: dict[str, int] = {}  # renderings counted ahead (`counted_ahead`)

    # ------------------------------------------------------------ the interface
    def count(self, example: dict, fmt: str, detail: bool = False) -> ExampleTokens:
        """The example's tokens; `.error` set (total 0) when the template refuses it."""
        try:
            if fmt == PREFERENCE:
                return self._openai_preference(example, detail)
            if fmt == CHOSEN_REJECTED:
                return self._chosen_rejected(example, detail)
            if fmt == PROMPT_COMPLETION:
                return self._prompt_completion(example, detail)
            if fmt == TEXT:
                return self._text(example, detail)
            tokens = ExampleTokens()
            messages = example.get("messages")
            if isinstance(messages, list):
                self._conversation(messages, _tools(example), ("messages",), tokens, detail,
                                   train=fmt != REINFORCEMENT)
            return tokens
        except TemplateRefused as error:
            return ExampleTokens(error=str(error), refused_by_template=not isinstance(error, RowRefused))

    def plain(self, messages: list, trained_roles: tuple[str, ...] = ("assistant",)) -> tuple[int, int]:
        """(total, trained) of a plain conversation ({"role", "content": str} messages), cached
        by content: files repeat system prompts and whole conversations. Raises TemplateRefused
        (the caller then checks the line in full, which reports it)."""
        key = (tuple((message["role"], message["content"]) for message in messages), trained_roles)
        found = self._plain_cache.get(key)
        if found is None:
            tokens = ExampleTokens()
            self._conversation(messages, None, ("messages",), tokens, False, train=bool(trained_roles))
            found = (tokens.total, tokens.trained)
            if len(self._plain_cache) >= _CACHE_LIMIT:
                self._plain_cache.clear()
            self._plain_cache[key] = found
        return found

    # ---------------------------------------------------------------- renderings
    def _render(self, messages: list, tools: object = None, add_generation_prompt: bool = False,
                track: bool = False, boundaries: bool = False) -> Rendering:
        if self.template is None:
            raise TemplateRefused(self._template_error)
        return self.template.render(messages, tools, add_generation_prompt, track, boundaries)

    def _encode(self, text: str, special: bool = False):
        """The tokenizer's encoding (`special`: with the special tokens it adds, such as a BOS)."""
        try:
            return self._tokenizer.encode(text, add_special_tokens=special)
        except TypeError:
            # A lone surrogate (a \ud800 escape with no pair): transformers' tokenizer raises TypeError
            # (TextEncodeInput must be a str it can encode), so TRL's preprocessing stops at this row.
            raise RowRefused(_surrogate_message(text)) from None

    def _conversation(self, messages: list, tools: object, path: tuple, tokens: ExampleTokens, detail: bool,
                      train: bool) -> None:
        """Adds the rendered conversation's tokens (and per message with `detail`)."""
        setup = self.training
        weighted = setup.honours_weight and any(isinstance(m, dict) and m.get("weight") == 0 for m in messages)
        by_spans = train and (setup.train_on == "roles" or (setup.train_on == "assistant" and (
            not self.template.has_generation if self.template else True)) or weighted)
        track = train and setup.train_on == "assistant" and self.template is not None and self.template.has_generation
        rendering = self._render(messages, tools, track=track)
        known = self._known_lengths.get(rendering.text)
        if known is not None and not (detail or (train and (by_spans or track))):  # no offsets needed
            tokens.total += known
            if train and setup.train_on == "all":
                tokens.trained += known
            return
        encoding = self._encode(rendering.text)
        count = len(encoding.ids)
        tokens.total += count
        if not train:
            if detail:
                self._per_message(messages, tools, rendering.text, encoding, path, tokens)
            return
        if not (detail or by_spans or track):
            if setup.train_on == "all":
                tokens.trained += count
            return
        spans = self._message_spans(messages, tools, rendering.text)
        starts = [start for start, _ in encoding.offsets]
        if detail:
            for index, (start, end) in enumerate(spans):
                tokens.messages.append((path + (index,), bisect_left(starts, end) - bisect_left(starts, start)))
        excluded = {index for index, message in enumerate(messages)
                    if setup.honours_weight and isinstance(message, dict) and message.get("weight") == 0}
        if setup.train_on == "all":
            tokens.trained += count - sum(_tokens_in(starts, *spans[i]) for i in excluded)
        elif setup.train_on == "assistant":
            if track:
                tokens.trained += _masked(encoding.offsets, _without(rendering.generation, spans, excluded))
            else:
                tokens.trained += sum(_tokens_in(starts, *spans[i]) for i, message in enumerate(messages)
                                      if i not in excluded and isinstance(message, dict)
                                      and message.get("role") == "assistant")
        else:
            tokens.trained += self._roles_trained(messages, spans, rendering.text, encoding, excluded)

    def _per_message(self, messages, tools, text, encoding, path, tokens) -> None:
        spans = self._message_spans(messages, tools, text)
        starts = [start for start, _ in encoding.offsets]
        for index, (start, end) in enumerate(spans):
            tokens.messages.append((path + (index,), bisect_left(starts, end) - bisect_left(starts, start)))

    def _message_spans(self, messages: list, tools: object, text: str, add_generation_prompt: bool = False,
                       prefix_limit: int | None = None) -> list[tuple[int, int]]:
        """Each message's (start, end) in the rendering, its template wrapping included (module docstring).
        `text` is the rendering of `messages` (with `add_generation_prompt` as given)."""
        try:
            first = _align(text, self._render([], tools).text)
        except TemplateRefused:
            first = 0
        bos = self._bos_text()
        if first == 0 and bos and text.startswith(bos):
            first = len(bos)
        limit = _PREFIX_LIMIT if prefix_limit is None else prefix_limit
        recorded = None
        if len(messages) > limit:
            recorded = self._recorded_ends(messages, tools, text, add_generation_prompt, first)
        ends = []
        start = first
        for j in range(1, len(messages)):
            if recorded is not None:
                end = recorded[j - 1]
            elif len(messages) > limit:
                end = _content_end(text, messages[j - 1], start)
            else:
                try:
                    end = _align(text, self._render(messages[:j], tools).text)
                except TemplateRefused:
                    end = _content_end(text, messages[j - 1], start)
            end = max(end, start)
            ends.append(end)
            start = end
        ends.append(len(text))
        spans, start = [], first
        for end in ends:
            end = max(end, start)
            spans.append((start, end))
            start = end
        return spans

    def _recorded_ends(self, messages, tools, text, add_generation_prompt, first) -> list[int] | None:
        """Where messages 0..n-2 end (= where the next starts) as one rendering's loop records them;
        None when the recording is incomplete or fails the check (module docstring)."""
        try:
            rendering = self._render(messages, tools, add_generation_prompt, boundaries=True)
        except TemplateRefused:
            return None
        ends = list(rendering.starts[1:])
        if rendering.text != text or any(end is None for end in ends):
            return None
        bounds = [first] + ends + [len(text)]
        if any(b < a for a, b in zip(bounds, bounds[1:])):
            return None
        inside = outside = 0
        for message, start, end in zip(messages, bounds, bounds[1:]):
            content = message.get("content") if isinstance(message, dict) else None
            content = content.strip() if isinstance(content, str) else ""
            if content and text.find(content, start, end) != -1:
                inside += 1
            elif content and content in text:
                outside += 1
        # A template may move a content (gemma3 writes the system's into the first user turn); one
        # whose loop did not yield as it went leaves most contents outside their recorded spans.
        return ends if outside <= inside else None

    def _bos_text(self) -> str | None:
        return self._tokenizer.id_to_token(self._bos_ids[0]) if self._bos_ids else None

    def _roles_trained(self, messages, spans, text, encoding, excluded) -> int:
        """axolotl's roles_to_train and train_on_eos (src/axolotl/prompt_strategies/chat_template.py,
        ChatTemplateStrategy._tokenize_single_prompt): a trained turn's content tokens (find_turn diffs
        the rendering against one with dummy content, so the role header is not trained), and the first
        EOS within 3 tokens after a turn: every turn's ("all"), trained turns' ("turn"), the last
        trained turn's ("last"), none ("none")."""
        setup = self.training
        ids, starts = encoding.ids, [start for start, _ in encoding.offsets]
        trained = 0
        eos_at: set[int] = set()
        last_eos = -1
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                continue
            should = message.get("role") in setup.roles_to_train and index not in excluded
            if not should and setup.train_on_eos != "all":
                continue
            start, end = _content_span(text, message, spans[index])
            first, after = bisect_left(starts, start), bisect_left(starts, end)
            if should and after > first:
                trained += after - first
            if self._eos_id is None:
                continue
            eos = next((i for i in range(after, min(len(ids), after + _EOS_REACH + 1)) if ids[i] == self._eos_id), -1)
            if eos == -1:
                continue
            last_eos = eos
            if setup.train_on_eos == "all" or (setup.train_on_eos == "turn" and should):
                eos_at.add(eos)
        if setup.train_on_eos == "last" and last_eos != -1:
            eos_at.add(last_eos)
        return trained + len(eos_at)

    # ------------------------------------------------------------------ formats
    def _pair(self, prompt: object, answers: list[tuple[tuple, object]], tools: object, prompt_path: tuple,
              detail: bool) -> ExampleTokens:
        """A prompt and its answers as TRL tokenizes them (trl/trainer/dpo_trainer.py `_prepare_dataset`
        tokenize_fn; sft_trainer.py the same for prompt-completion): the prompt alone (rendered with
        add_generation_prompt=True when conversational) and prompt + each answer; the prompt is the
        tokens the two share from the start (`common_prefix_length`, the shortest over the answers),
        each answer the rest. Strings are tokenized with the tokenizer's special tokens (its BOS)."""
        tokens = ExampleTokens()
        _same_shapes([(_name(prompt_path), prompt)] + [(_name(path), answer) for path, answer in answers])
        conversational = isinstance(prompt, list) or any(isinstance(answer, list) for _, answer in answers)
        if conversational:
            prompt = prompt if isinstance(prompt, list) else []
            prompt_ids = self._encode(self._render(prompt, tools, add_generation_prompt=True).text).ids
            whole = [(path, self._encode(self._render(prompt + answer, tools).text).ids)
                     for path, answer in answers if isinstance(answer, list)]
        else:
            prompt = prompt if isinstance(prompt, str) else ""
            prompt_ids = self._encode(prompt, special=True).ids
            whole = [(path, self._encode(prompt + self._with_eos(answer), special=True).ids)
                     for path, answer in answers if isinstance(answer, str)]
        shared = min((_common_ids(prompt_ids, ids) for _, ids in whole), default=len(prompt_ids))
        tokens.total = shared
        if detail:
            if conversational and prompt:
                # Counted among the shared ids only: the prompt's own rendering may go further (its
                # generation prompt) than what the answers' renderings share with it.
                counts = self._message_counts(prompt, tools, self._render(prompt, tools, add_generation_prompt=True).text,
                                              shared)
                tokens.messages += [(prompt_path + (index,), count) for index, count in enumerate(counts)]
            elif not conversational:
                tokens.messages.append((prompt_path, shared))
        for path, ids in whole:
            count = len(ids) - shared
            tokens.total += count
            tokens.trained += count
            if detail:
                tokens.messages.append((path, count))
        return tokens

    def _with_eos(self, text: str) -> str:
        """TRL's add_eos (sft_trainer.py and dpo_trainer.py `_prepare_dataset`): the EOS text appended
        unless the text ends with it."""
        return text if not self._eos or text.endswith(self._eos) else text + self._eos

    def _message_counts(self, messages, tools, text, shared: int) -> list[int]:
        """Tokens per message of a prompt rendered with the generation prompt, among its first `shared`."""
        encoding = self._encode(text)
        starts = [start for start, _ in encoding.offsets][:shared]
        return [bisect_left(starts, end) - bisect_left(starts, start)
                for start, end in self._message_spans(messages, tools, text, add_generation_prompt=True)]

    def _openai_preference(self, example: dict, detail: bool) -> ExampleTokens:
        source = example.get("input") if isinstance(example.get("input"), dict) else {}
        prompt = source.get("messages") if isinstance(source.get("messages"), list) else []
        answers = [((key, 0), example.get(key)) for key in ("preferred_output", "non_preferred_output")]
        return self._pair(prompt, answers, _tools(source), ("input", "messages"), detail)

    def _chosen_rejected(self, example: dict, detail: bool) -> ExampleTokens:
        chosen, rejected, prompt = example.get("chosen"), example.get("rejected"), example.get("prompt")
        if "prompt" not in example and isinstance(chosen, list) and isinstance(rejected, list):
            # trl/data_utils.py extract_prompt: the longest common start of the two conversations
            shared = 0
            while shared < min(len(chosen), len(rejected)) and chosen[shared] == rejected[shared]:
                shared += 1
            prompt, chosen, rejected = chosen[:shared], chosen[shared:], rejected[shared:]
        return self._pair(prompt, [(("chosen",), chosen), (("rejected",), rejected)], _tools(example),
                          ("prompt",), detail)

    def _prompt_completion(self, example: dict, detail: bool) -> ExampleTokens:
        """TRL's SFT prompt-completion (sft_trainer.py tokenize_fn): as a preference pair with one answer;
        trained = the completion's tokens (completion_only_loss is on for this format by default)."""
        return self._pair(example.get("prompt"), [(("completion",), example.get("completion"))], _tools(example),
                          ("prompt",), detail)

    def _text(self, example: dict, detail: bool) -> ExampleTokens:
        text = example.get("text")
        if not isinstance(text, str):
            return ExampleTokens()
        # sft_trainer.py: add_eos, then the tokenizer with its special tokens (the BOS it adds)
        count = len(self._encode(self._with_eos(text), special=True).ids)
        tokens = ExampleTokens(count, count)
        if detail:
            tokens.messages.append((("text",), count))
        return tokens


    # -------------------------------------------------------------- many at once
    def plain_batch(self, conversations: list[list], trained_roles: tuple[str, ...]) -> list[tuple[int, int] | None]:
        """`plain` of many conversations, their renderings encoded in one call of the tokenizer
        (`encode_batch_fast`: no offsets, no Python per example), which is most of a check's time.
        None where the template refuses a conversation (the full analysis then reports it).
        Trained tokens that need message spans (assistant or roles) take `plain` one by one."""
        results: list[tuple[int, int] | None] = [None] * len(conversations)
        pending: list[tuple[int, tuple]] = []
        texts: list[str] = []
        spans_needed = bool(trained_roles) and self.training.train_on != "all"
        for index, messages in enumerate(conversations):
            key = (tuple((message["role"], message["content"]) for message in messages), trained_roles)
            found = self._plain_cache.get(key)
            if found is not None:
                results[index] = found
                continue
            try:
                if spans_needed:
                    results[index] = self.plain(messages, trained_roles)
                    continue
                texts.append(self._render(messages).text)
            except TemplateRefused:
                continue
            pending.append((index, key))
        if texts:
            try:
                lengths = [len(encoding.ids) for encoding in
                           self._tokenizer.encode_batch_fast(texts, add_special_tokens=False)]
            except TypeError:  # a lone surrogate somewhere: one by one, each encoded as `_encode` does
                lengths = [len(self._encode(text).ids) for text in texts]
            if len(self._plain_cache) + len(pending) >= _CACHE_LIMIT:
                self._plain_cache.clear()
            for (index, key), total in zip(pending, lengths):
                found = (total, total if trained_roles else 0)
                self._plain_cache[key] = found
                results[index] = found
        return results


    @contextmanager
    def counted_ahead(self, examples: list[dict]):
        """While the block runs, the renderings of these examples' conversations (`messages` with the
        line's tools) are counted already, in one call of the tokenizer: the lines that need the full
        analysis (tools, findings) then render but do not encode one by one. Examples the template
        refuses are left to that analysis, which reports them."""
        texts = []
        for example in examples:
            try:
                texts.append(self._render(example["messages"], _tools(example)).text)
            except (TemplateRefused, KeyError):
                continue
        try:
            encodings = self._tokenizer.encode_batch_fast(texts, add_special_tokens=False) if texts else []
        except Exception:  # noqa: BLE001 - (a lone surrogate: TypeError) one by one in the analysis, which reports it
            encodings = []
        self._known_lengths = {text: len(encoding.ids) for text, encoding in zip(texts, encodings)}
        try:
            yield
        finally:
            self._known_lengths = {}


# ------------------------------------------------------------------- helpers
def _tools(example: dict) -> object:
    """The line's tools as TRL passes them: a JSON string is parsed first (sft_trainer.py and
    dpo_trainer.py tokenize_fn: `json.loads(tools) if isinstance(tools, str)`)."""
    tools = example.get("tools")
    if isinstance(tools, str):
        try:
            return json.loads(tools)
        except ValueError as error:
            raise RowRefused(f"tools is a string that is not JSON ({error})") from None
    return tools


def _name(path: tuple) -> str:
    return ".".join(str(part) for part in path if not isinstance(part, int))


def _same_shapes(parts: list[tuple[str, object]]) -> None:
    """TRL takes a row as conversational or as text, all of it (trl/data_utils.py is_conversational
    looks at one key; apply_chat_template then fails on a string, the tokenizer on a list)."""
    lists = [name for name, value in parts if isinstance(value, list)]
    strings = [name for name, value in parts if isinstance(value, str)]
    if lists and strings:
        both = "both" if len(lists) + len(strings) == 2 else "all"
        raise RowRefused(f"{lists[0]} is a conversation and {strings[0]} a string: "
                         f"a row is read as {both} messages or {both} text")


def _surrogate_message(text: str) -> str:
    found = next((char for char in text if "\ud800" <= char <= "\udfff"), None)
    escape = f"\\u{ord(found):04x}" if found else "\\ud800"
    return f"the text holds an unpaired surrogate ({escape}), which the tokenizer refuses"


def _common_ids(a: list[int], b: list[int]) -> int:
    """TRL's common_prefix_length: how many ids the two lists share from the start."""
    limit = min(len(a), len(b))
    index = 0
    while index < limit and a[index] == b[index]:
        index += 1
    return index


def _common(a: str, b: str) -> int:
    """Length of the longest common start of two strings."""
    limit = min(len(a), len(b))
    if a[:limit] == b[:limit]:
        return limit
    low, high = 0, limit  # binary search on slices: C comparisons, not a Python loop per character
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _align(whole: str, prefix: str) -> int:
    """Where `prefix`'s end falls in `whole`: the common start, or past an insertion the
    prefix has (module docstring)."""
    shared = _common(whole, prefix)
    if shared == len(prefix):
        return shared
    tail = len(prefix) - shared
    for kept in range(tail - 1, max(-1, tail - _INSERTION_LIMIT - 1), -1):
        if kept and whole.startswith(prefix[len(prefix) - kept:], shared):
            return shared + kept
    return shared


def _content_end(text: str, message: object, start: int) -> int:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str) and content:
        found = text.find(content, start)
        if found != -1:
            return found + len(content)
    return start


def _content_span(text: str, message: dict, span: tuple[int, int]) -> tuple[int, int]:
    """Where the message's content is within its span (the whole span when not found)."""
    content = message.get("content")
    if isinstance(content, str) and content:
        found = text.find(content.strip(), span[0], span[1])
        if found != -1:
            return found, found + len(content.strip())
    return span


def _tokens_in(starts: list[int], start: int, end: int) -> int:
    return bisect_left(starts, end) - bisect_left(starts, start)


def _without(generation, spans, excluded) -> list[tuple[int, int]]:
    """Generation spans not inside an excluded (weight 0) message."""
    if not excluded:
        return list(generation)
    return [(s, e) for s, e in generation
            if not any(spans[i][0] <= s < spans[i][1] for i in excluded)]


def _masked(offsets, spans) -> int:
    """Tokens overlapping a span, as transformers builds `assistant_masks` (apply_chat_template)."""
    count = 0
    index = 0
    spans = sorted(spans)
    for start, end in offsets:
        while index < len(spans) and start >= spans[index][1]:
            index += 1
        if index == len(spans):
            break
        if end > spans[index][0]:
            count += 1
    return count


__all__ = ["TemplateCounter"]
