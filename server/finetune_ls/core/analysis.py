"""Check one line on its own: parse, diagnose, classify, validate, count tokens.

A line's result depends only on its text and the FileContext, which is what
makes results cacheable per line and lets the language server re-check only
the lines an edit touches. Everything about the file as a whole (duplicates,
multi-line records, counts, costs) is in aggregate.py.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from typing import NamedTuple

import orjson

from finetune_ls.core import rules as R
from finetune_ls.core.checks import check_chat, check_preference, check_prompt_completion, plain_conversation
from finetune_ls.core.conversions import compact_json, convert
from finetune_ls.core.depth import (MAX_DEPTH, SAFE_DEPTH, crossing_column, cut, deepest_bracket, map_strings,
                                    may_nest_deeper, nesting_depth, recursion_room, write_json)
from finetune_ls.core.findings import Finding, Fix
from finetune_ls.core.images import MAX_IMAGES_PER_EXAMPLE
from finetune_ls.core.lines import utf16_length
from finetune_ls.core.places import describe
from finetune_ls.core.privacy import line_matches, may_hold_private
from finetune_ls.core.report import LineReport, make_fix
from finetune_ls.core.schemas import check_schema
from finetune_ls.core.shapes import (
    CHAT, CHOSEN_REJECTED, MESSAGE, NOT_OBJECT, PREFERENCE, PROMPT_COMPLETION, REINFORCEMENT, TEXT, UNKNOWN_OBJECT,
    Foreign, line_shape, shape_format,
)
from finetune_ls.core.syntax import diagnose, out_of_range_message, out_of_range_numbers
from finetune_ls.core.targets import OPEN_WEIGHT, TrainingSetup
from finetune_ls.core import target_rules
from finetune_ls.core.tokens import ExampleTokens, TokenCounter

if TYPE_CHECKING:  # (loading it loads tokenizers, which OpenAI's checks never need)
    from finetune_ls.core.hf_tokenizer import ResolvedTokenizer

BLANK, EXAMPLE, BROKEN, OTHER = "blank", "example", "broken", "other"
_FORMAT_NAMES = {CHAT: "chat", PREFERENCE: "preference (DPO)", REINFORCEMENT: "reinforcement (RFT)",
                 PROMPT_COMPLETION: "prompt/completion", CHOSEN_REJECTED: "preference (prompt/chosen/rejected)",
                 TEXT: "text"}
_FORMAT_KEYS = ("messages", "prompt", "completion", "input", "preferred_output", "non_preferred_output")
_LONE_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<![0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_LONE_SURROGATE_CHAR = re.compile("[\ud800-\udfff]")
_MAX_RECOVERY_TEXT = 50_000_000  # characters of broken text kept for multi-line recovery


@dataclass(frozen=True)
class FileContext:
    """What a line's result depends on besides its text."""

    format: str
    encoding: str | None = None  # None: do not count tokens
    context_limit: int | None = None
    model: str | None = None
    # The file is one JSON document spread over lines (it opens with "["): every line
    # keeps its text, so the whole document can be recovered as one record.
    keep_text: bool = False
    privacy: bool = True  # report API keys, e-mail addresses, phone and card numbers in the text
    max_images: int = MAX_IMAGES_PER_EXAMPLE  # per example, the provider's limit (Azure: 64)
    provider_name: str = "OpenAI"  # who refuses what the line checks find, as messages name it
    target: str = "openai"  # core/targets.py: whose rules the lines are checked against
    training: TrainingSetup | None = None  # open-weight targets: length, overflow, what is trained
    tokenizer: ResolvedTokenizer | None = None  # open-weight targets: the model's tokenizer (encoding is its key)

    def fingerprint(self) -> str:
        own = f"{self.format}|{self.encoding}|{self.context_limit}|{self.model}|{self.keep_text}|{self.privacy}"
        if (self.max_images, self.provider_name) != (MAX_IMAGES_PER_EXAMPLE, "OpenAI"):
            own += f"|{self.max_images}|{self.provider_name}"  # (OpenAI's cache entries stay valid)
        if self.target != "openai":
            own += f"|{self.target}|{self.training.fingerprint() if self.training else ''}"
            own += f"|{self.tokenizer.digest if self.tokenizer else ''}"
        return own


@dataclass(slots=True)
class LineResult:
    kind: str
    findings: list[Finding] = field(default_factory=list)
    shape: str | None = None  # the training format of the line, when it is one
    tokens: int = 0
    trained: int = 0
    images: int = 0
    estimated: bool = False
    digest: bytes | None = None  # of the example as parsed JSON, for duplicates and overlap
    width: int = 0  # code points of the line
    width_utf16: int = 0
    text: str | None = None  # kept for lines that may belong to a record spread over lines
    repaired: bool = False  # a broken line whose certain repairs make it a whole example by itself

    @property
    def is_example(self) -> bool:
        return self.kind == EXAMPLE


_counters: dict[str, TokenCounter] = {}


def has_token_counter(encoding: str) -> bool:
    """Whether `token_counter(encoding)` is at hand, without building the encoding first."""
    return encoding in _counters


def token_counter(encoding: str) -> TokenCounter:
    counter = _counters.get(encoding)
    if counter is None:
        counter = _counters[encoding] = TokenCounter(encoding)
    return counter


_template_counters: dict[tuple, object] = {}


def counter_for(ctx: FileContext):
    """The counter of a line's tokens: tiktoken's formula for OpenAI and Azure, the model's
    own chat template and tokenizer for open-weight targets (core/template_tokens.py).
    Both have `plain(messages, trained_roles)` and `count(example, fmt, detail)`."""
    if ctx.tokenizer is None:
        return token_counter(ctx.encoding)
    key = (ctx.tokenizer, ctx.training)
    counter = _template_counters.get(key)
    if counter is None:
        from finetune_ls.core.template_tokens import TemplateCounter  # loads jinja2 and the tokenizer

        counter = _template_counters[key] = TemplateCounter(ctx.tokenizer, ctx.training)
    return counter


def example_digest(value: object) -> bytes:
    """Identity of an example as parsed JSON: spacing, escapes and key order do not matter."""
    try:
        canonical = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # deeper than orjson writes, or a lone surrogate
        canonical = write_json(value, sort_keys=True).encode("utf-8", "surrogatepass")
    return hashlib.sha256(canonical).digest()[:16]


_BELOW_FOUR_BYTE_LEADS = bytes(range(0xF0))  # deleting these leaves the lead bytes of 4-byte sequences


def _widths(raw: bytes | str) -> tuple[int, int]:
    """Length of a line in code points and in UTF-16 units."""
    if raw.isascii():
        return len(raw), len(raw)
    if isinstance(raw, str):
        return len(raw), utf16_length(raw)
    points = len(raw.decode("utf-8", "replace"))
    # Each 4-byte UTF-8 sequence is one code point above U+FFFF: two UTF-16 units.
    return points, points + len(raw.translate(None, _BELOW_FOUR_BYTE_LEADS))


UNPARSED = object()


def parse(raw: bytes | str) -> object:
    """The line's JSON value, or UNPARSED."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return UNPARSED


class PlainExample(NamedTuple):
    """The most common line: a plain conversation in the file's format that no rule
    objects to. Only its tokens are left to count (`count_plain`)."""

    messages: list
    width: int
    width_utf16: int
    digest: bytes
    may_exceed: bool = False  # set only when the caller said it checks the fit itself


def plain_example(value: object, raw: bytes | str, ctx: FileContext, fit_checked_later: bool = False,
                  private_suspect: bool = True) -> PlainExample | None:
    """The line as a PlainExample, or None when it needs `analyze_line`. With `fit_checked_later` a
    line that may be over the context is still returned, marked `may_exceed`: the caller counts it
    (entries.line_entries, many lines in one call of the tokenizer) and leaves it to the full
    analysis if it is over. `private_suspect` False: a scan of the chunk (private_scan.py)
    found nothing the privacy rules could report in the line."""
    if value.__class__ is not dict or "messages" not in value or ctx.format not in (CHAT, REINFORCEMENT) \
            or not plain_conversation(value, ctx.format) or not target_rules.plain_for_target(value, ctx.target) \
            or may_nest_deeper(raw) or private_suspect and _holds_private_data(raw, value, ctx):
        return None
    may_exceed = _may_exceed(raw, ctx)
    if may_exceed and not fit_checked_later and not _fits(value["messages"], ctx):
        return None  # the full analysis counts it once, message by message, and says where it is cut
    width, width_utf16 = _widths(raw)
    return PlainExample(value["messages"], width, width_utf16, example_digest(value), may_exceed)


def _fits(messages: list, ctx: FileContext) -> bool:
    """Whether a plain conversation is within the context. Open-weight targets only: their counter
    renders the whole conversation once and caches it (count_plain reuses it), while counting
    message by message renders every prefix; tiktoken's lines are left to the full analysis."""
    if ctx.tokenizer is None or ctx.encoding is None:
        return False
    total, _ = counter_for(ctx).plain(messages, ("assistant",) if ctx.format == CHAT else ())
    return total <= ctx.context_limit


def count_plain(example: PlainExample, ctx: FileContext) -> tuple:
    """The result entry of a plain example: (tokens, trained, width, width_utf16, digest, estimated)."""
    tokens = trained = 0
    if ctx.encoding is not None:
        tokens, trained = counter_for(ctx).plain(example.messages, ("assistant",) if ctx.format == CHAT else ())
    return (tokens, trained, example.width, example.width_utf16, example.digest, False)


def analyze_line(raw: bytes | str, line: int, ctx: FileContext, value: object = None,
                 private_suspect: bool = True) -> LineResult:
    """Check one line (without its line break). Never raises. `value`: the line
    already parsed (or UNPARSED), when the caller has done it. `private_suspect` False:
    a scan of the chunk found nothing the privacy rules could report in it."""
    try:
        if not raw.strip():
            return LineResult(BLANK, width=_widths(raw)[0], width_utf16=_widths(raw)[1])
        if value is None or value is UNPARSED:
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                return _broken(raw, line, ctx, error)
        return _parsed(value, raw, line, ctx, None, private_suspect=private_suspect)
    except Exception as error:  # noqa: BLE001 - one bad line must not stop the file
        report = LineReport(line, raw if isinstance(raw, bytes) else None, raw if isinstance(raw, str) else None)
        where = traceback.extract_tb(error.__traceback__)[-1]
        report.add(R.INTERNAL_ERROR, f"finetune-ls could not check this line ({type(error).__name__}: {error} at "
                   f"{where.name}:{where.lineno}); please report it.")
        return LineResult(OTHER, report.findings)


# ------------------------------------------------------------------ broken lines
def _trainer(ctx: FileContext) -> str:
    """Who reads the file, as the syntax messages name it: an open-weight target by its
    name; "OpenAI" for OpenAI and Azure (Azure's messages have always said OpenAI here)."""
    return ctx.provider_name if ctx.target in OPEN_WEIGHT else "OpenAI"


def _rejects(ctx: FileContext) -> str:
    """What happens to a file with a line that is not JSON. Together's SDK checks that every
    line is a JSON object (together/lib/utils/files.py _check_jsonl); TRL, axolotl and Unsloth
    load the file with Hugging Face datasets, whose JSON reader stops at the line."""
    if ctx.target not in OPEN_WEIGHT or ctx.target == "together":
        return f"{_trainer(ctx)} rejects the file"
    return f"{ctx.provider_name} cannot load the file (Hugging Face datasets' JSON reader stops at it)"


def _broken(raw: bytes | str, line: int, ctx: FileContext, error: orjson.JSONDecodeError) -> LineResult:
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            report = LineReport(line, raw)
            column = len(raw[: bad.start].decode("utf-8", "replace"))
            report.add(R.INVALID_UTF8, f"Byte 0x{raw[bad.start]:02X} at column {column + 1} is not UTF-8 (the text looks "
                       "like Latin-1 or Windows-1252); re-save the file as UTF-8.", columns=(column, column + 1))
            return LineResult(BROKEN, report.findings)
    else:
        text = raw
        surrogate = _LONE_SURROGATE_CHAR.search(text)
        if surrogate:  # a text that stands for undecodable bytes (or a client's unpaired surrogate)
            report = LineReport(line, None, text)
            column = surrogate.start()
            report.add(R.INVALID_UTF8, f"The character at column {column + 1} is not valid Unicode (an undecodable byte "
                       "or an unpaired surrogate); re-save the file as UTF-8.", columns=(column, column + 1))
            return LineResult(BROKEN, report.findings)
    report = LineReport(line, None, text)
    message = str(error)
    if "depth limit" in message or "recursion" in message:
        return _too_deep(text, report, fallback=error.pos, trainer=_trainer(ctx))

    lenient = _lenient_parse(text)
    if lenient is not _FAILED:
        # An open-weight target counts the value as the trainer reads it: its tokenizer refuses a lone
        # surrogate (chat-template-error), where replacing it would count a row the trainer stops at.
        as_read = lenient if ctx.tokenizer is not None else None
        lenient = _without_surrogates(lenient)  # jsonschema-rs and tiktoken need valid Unicode
        if message.startswith("number is infinity"):
            for start, end in out_of_range_numbers(text):
                report.add(R.NUMBER_OUT_OF_RANGE, out_of_range_message(text[start:end], _trainer(ctx)),
                           columns=(start, end))
        for match in _LONE_SURROGATE.finditer(text):
            report.add(R.INVALID_UNICODE_ESCAPE, f"{match.group()} is half of a surrogate pair and encodes no "
                       "character; strict JSON parsers reject it. Remove it or write the whole pair.",
                       columns=(match.start(), match.end()))
        return _parsed(lenient, text, line, ctx, report, counted=as_read)

    diagnosis = diagnose(text, _trainer(ctx), _rejects(ctx))
    for problem in diagnosis.problems:
        if problem.delete_line:
            fix = make_fix(problem.fix_title or "Delete the line", report.delete_line())
        else:
            fix = make_fix(problem.fix_title or "Fix", *(report.edit(e.start, e.end, e.new_text) for e in problem.edits))
        report.add(problem.rule, problem.message, columns=(problem.start, problem.end), fix=fix)
    result = LineResult(BROKEN, report.findings, text=text if len(text) <= _MAX_RECOVERY_TEXT else None)
    if diagnosis.repaired_ok:
        _check_repaired(diagnosis, text, line, ctx, result)
    return result


_FAILED = object()


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _number_beyond_python(digits: str) -> object:
    """An integer Python refuses to read (over 4,300 digits): infinity, as a double would be."""
    try:
        return int(digits)
    except ValueError:
        return float(digits)


def _lenient_parse(text: str) -> object:
    """Python's parser accepts valid JSON orjson refuses (lone surrogate escapes,
    numbers beyond a double); it still refuses NaN and Infinity here."""
    try:
        with recursion_room():  # as deep as orjson reads
            return json.loads(text, parse_constant=_reject_constant, parse_int=_number_beyond_python)
    except (ValueError, RecursionError):
        return _FAILED


def _without_surrogates(value: object) -> object:
    """The value with unpaired surrogates (from \\ud800-style escapes) replaced by U+FFFD."""
    return map_strings(value, _surrogates_replaced)


def _surrogates_replaced(text: str) -> str:
    return _LONE_SURROGATE_CHAR.sub("\ufffd", text) if _LONE_SURROGATE_CHAR.search(text) else text


def _check_repaired(diagnosis, text: str, line: int, ctx: FileContext, result: LineResult) -> None:
    """A line whose syntax errors all have certain fixes is checked as the example it
    will be once fixed, so its other mistakes show now, not one at a time; and it counts."""
    value = diagnosis.repaired
    if may_nest_deeper(text):
        depth = nesting_depth(value, stop=MAX_DEPTH)
        if depth > MAX_DEPTH:
            # Where the repaired text crosses: the broken one can count brackets otherwise
            # (a closer the repair inserts is missing from it).
            crossing = crossing_column(diagnosis.repaired_text)
            at = diagnosis.to_original(crossing) if crossing is not None else None
            result.findings += _too_deep(text, LineReport(line, None, text), fallback=deepest_bracket(text),
                                         at=at, trainer=_trainer(ctx)).findings
            return
        if depth > SAFE_DEPTH:
            value = cut(value)  # as in _parsed: no check looks this deep, and some cannot
    fmt = shape_format(line_shape(value, ctx.target), ctx.format, ctx.target)
    if fmt != ctx.format or not isinstance(value, dict):
        return
    result.shape, result.repaired = fmt, True
    inner = LineReport(line, None, diagnosis.repaired_text)
    check_schema(value, fmt, inner, ctx.target)
    _semantic_checks(value, fmt, inner, ctx)
    for finding in inner.findings:  # positions back to the text as it is; fixes would not fit it
        finding.column = diagnosis.to_original(finding.column)
        finding.end_column = max(finding.column, diagnosis.to_original(finding.end_column))
        finding.column_utf16 = utf16_length(text[: finding.column])
        finding.end_column_utf16 = utf16_length(text[: finding.end_column])
        finding.fix = None
        result.findings.append(finding)
    tokens = _count(value, fmt, ctx)
    if tokens:
        result.tokens, result.trained, result.estimated = tokens.total, tokens.trained, tokens.estimated
        if tokens.error is not None:
            refused = LineReport(line, None, text)
            _template_refused(tokens, ctx, refused)
            result.findings += refused.findings


def _too_deep(text: str, report: LineReport, fallback: int = 0, at: int | None = None,
              trainer: str = "OpenAI") -> LineResult:
    """The finding at the bracket that opens level 1,001 (orjson stops later, at 1,025):
    `at`, else where the text shows it, else `fallback`."""
    column = crossing_column(text) if at is None else at
    column = min(fallback, len(text)) if column is None else column
    report.add(R.NESTING_TOO_DEEP, f"Arrays or objects nested more than {MAX_DEPTH:,} levels deep: Python's json "
               f"module stops there and this line is not checked; what {trainer} does with it is not documented. "
               "Flatten the data.", columns=(column, min(column + 1, len(text))))
    return LineResult(BROKEN, report.findings)


# ------------------------------------------------------------------ parsed lines
def _digest(value: object, raw: bytes | str, deep: bool) -> bytes:
    """A value cut at SAFE_DEPTH would be the same as others cut there: its text tells it apart."""
    if not deep:
        return example_digest(value)
    text = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    return hashlib.sha256(b"deep\0" + text).digest()[:16]


def _parsed(value: object, raw: bytes | str, line: int, ctx: FileContext, report: LineReport | None,
            counted: object = None, private_suspect: bool = True) -> LineResult:
    deep = False
    if may_nest_deeper(raw):
        depth = nesting_depth(value, stop=MAX_DEPTH)
        if depth > MAX_DEPTH:
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            return _too_deep(text, report or LineReport(line, None, text), trainer=_trainer(ctx))
        if depth > SAFE_DEPTH:
            value, deep = cut(value), True  # the schema and checks look nowhere near this deep
            counted = None if counted is None else cut(counted)
    shape = line_shape(value, ctx.target)
    fmt = shape_format(shape, ctx.format, ctx.target)
    if fmt is not None and fmt == ctx.format and report is None and plain_conversation(value, fmt) \
            and target_rules.plain_for_target(value, ctx.target):
        result = LineResult(EXAMPLE, [], fmt, digest=_digest(value, raw, deep))  # nothing to report: the fast path
        if private_suspect and _suspect(raw, ctx):  # (plain_example left it to this function for this)
            report = LineReport(line, raw if isinstance(raw, bytes) else None, raw if isinstance(raw, str) else None)
            _private_data(value, report)
            result.findings = report.findings
    else:
        if report is None:
            report = LineReport(line, raw if isinstance(raw, bytes) else None, raw if isinstance(raw, str) else None)
        if fmt is None:
            _not_an_example(value, shape, report, ctx)
            # Possibly a fragment of a record spread over lines (a message of a
            # pretty-printed example, a number): kept for the recovery.
            return LineResult(OTHER, report.findings, text=report.text if len(report.text) <= _MAX_RECOVERY_TEXT
                              else None)
        if fmt != ctx.format:
            report.add(R.MIXED_FORMATS, f"This line is a {_FORMAT_NAMES[fmt]} example, but the file is "
                       f"{_FORMAT_NAMES.get(ctx.format, ctx.format)}; a training file holds a single format.")
            return LineResult(OTHER, report.findings, shape=fmt)
        check_schema(value, fmt, report, ctx.target)
        images = _semantic_checks(value, fmt, report, ctx)
        if private_suspect and _suspect(raw, ctx):
            _private_data(value, report)
        result = LineResult(EXAMPLE, report.findings, fmt, images=images, digest=_digest(value, raw, deep))
    if ctx.encoding is not None:
        # Per message only for lines that can be over the context (see clean_entry).
        # (open-weight counts render every prefix for detail: _too_long asks for it when over)
        tokens = _count(value if counted is None else counted, fmt, ctx,
                        detail=ctx.tokenizer is None and _may_exceed(raw, ctx))
        result.tokens, result.trained, result.estimated = tokens.total, tokens.trained, tokens.estimated
        if tokens.error is not None:
            report = report or LineReport(line, raw if isinstance(raw, bytes) else None,
                                          raw if isinstance(raw, str) else None)
            _template_refused(tokens, ctx, report)
            result.findings = report.findings
        if ctx.context_limit and tokens.total > ctx.context_limit:
            report = report or LineReport(line, raw if isinstance(raw, bytes) else None,
                                          raw if isinstance(raw, str) else None)
            _too_long(value, fmt, ctx, tokens, report)
            result.findings = report.findings
    result.width, result.width_utf16 = _widths(raw)
    if ctx.keep_text:
        result.text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return result


def _suspect(raw: bytes | str, ctx: FileContext) -> bool:
    return ctx.privacy and may_hold_private(raw)


def _holds_private_data(raw: bytes | str, value: dict, ctx: FileContext) -> bool:
    """Whether the privacy rules report something in the line. Most lines that pass the byte
    test hold nothing the detectors accept: they stay plain examples, off the full analysis."""
    if not _suspect(raw, ctx):
        return False
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw  # as LineReport.text decodes it
    return bool(line_matches(text, value))


_PRIVACY_RULES = {R.SECRET_IN_TEXT.code: R.SECRET_IN_TEXT, R.EMAIL_IN_TEXT.code: R.EMAIL_IN_TEXT,
                  R.PHONE_IN_TEXT.code: R.PHONE_IN_TEXT, R.CARD_NUMBER_IN_TEXT.code: R.CARD_NUMBER_IN_TEXT}


def _private_data(value: dict, report: LineReport) -> None:
    """Findings at each API key, e-mail address, phone or card number. The message does not
    repeat the value: check output ends up in CI logs."""
    for match in line_matches(report.text, value):
        fix = make_fix(f"Replace {match.label} with {match.placeholder}",
                       report.edit(match.start, match.end, match.placeholder), safe=False)
        report.add(_PRIVACY_RULES[match.code], f"{match.label[0].upper()}{match.label[1:]} in {describe(value, match.path)}: "
                   "training data should not hold it (the fine-tuned model can repeat it). Replace it with "
                   f"{match.placeholder} (quick fix, or finetune-ls redact).", match.path,
                   columns=(match.start, match.end), fix=fix)


def _semantic_checks(value: dict, fmt: str, report: LineReport, ctx: FileContext) -> int:
    if ctx.target in OPEN_WEIGHT:  # each trainer's own rules (core/target_rules.py), not OpenAI's
        return target_rules.check_line(value, fmt, report, ctx)
    if fmt in (CHAT, REINFORCEMENT):
        return check_chat(value, report, fmt, ctx.max_images, ctx.provider_name)
    if fmt == PREFERENCE:
        return check_preference(value, report)
    check_prompt_completion(value, report)
    converted = convert(PROMPT_COMPLETION, value)
    report.add(R.LEGACY_FORMAT, "prompt/completion is the legacy format of babbage-002 and davinci-002, which can no "
               "longer be trained; convert the line to chat to train a current model.",
               fix=make_fix("Convert the line to chat", report.replace_line(compact_json(converted[1])), safe=False)
               if converted else None)
    return 0


def _count(value: dict, fmt: str, ctx: FileContext, detail: bool = False) -> ExampleTokens | None:
    if ctx.encoding is None:
        return None
    return counter_for(ctx).count(value, fmt, detail)


def _template_refused(tokens: ExampleTokens, ctx: FileContext, report: LineReport) -> None:
    """The example was refused (open-weight targets): the trainer stops at this row."""
    if tokens.refused_by_template:
        model = ctx.tokenizer.model if ctx.tokenizer else ctx.model
        report.add(R.CHAT_TEMPLATE_ERROR, f"The chat template of {model} refuses this example: {tokens.error}. "
                   f"{ctx.provider_name} renders every row with it before training and stops at this one.")
    else:
        report.add(R.CHAT_TEMPLATE_ERROR, f"{ctx.provider_name} cannot prepare this example: {tokens.error}. "
                   "It prepares every row before training and stops at this one.")


def _may_exceed(raw: bytes | str, ctx: FileContext) -> bool:
    """Whether the line can be over the model's context. A token is at least one byte
    of UTF-8, and a character at most four, so shorter lines cannot."""
    if not ctx.context_limit:
        return False
    size = len(raw) if isinstance(raw, bytes) or raw.isascii() else 4 * len(raw)
    return size > ctx.context_limit


def _too_long(value: dict, fmt: str, ctx: FileContext, tokens: ExampleTokens, report: LineReport) -> None:
    if not tokens.messages:
        tokens = _count(value, fmt, ctx, detail=True)
    if ctx.target in OPEN_WEIGHT and fmt in (PREFERENCE, CHOSEN_REJECTED):  # two sequences, each cut on its own
        found = target_rules.preference_too_long(ctx, tokens, ctx.context_limit or 0)
        if found:
            report.add(R.EXAMPLE_TOO_LONG, found[0], found[1])
        return
    total = tokens.total
    limit = ctx.context_limit or 0
    running = total - sum(count for _, count in tokens.messages)  # overhead and tools come first
    cut_path, kept = None, 0
    for path, count in tokens.messages:
        if running + count > limit:
            cut_path, kept = path, max(0, limit - running)
            break
        running += count
    cut = ""
    if cut_path is not None:
        later = len(tokens.messages) - 1 - [p for p, _ in tokens.messages].index(cut_path)
        cut = f" The cut falls in {describe(value, cut_path)}, which keeps about {kept:,} of its tokens"
        cut += f"; the {later} message(s) after it are dropped." if later else "."
    if ctx.target in OPEN_WEIGHT:  # the trainer, its setting, and what it does with the rest
        report.add(R.EXAMPLE_TOO_LONG, target_rules.too_long_message(ctx, total, limit, cut), cut_path)
        return
    model = ctx.model or "the model"
    message = f"This example has {total:,} tokens; {model} trains on the first {limit:,}, and OpenAI removes the rest " \
              "from the end." + cut
    report.add(R.EXAMPLE_TOO_LONG, message, cut_path)


def _not_an_example(value: object, shape: str, report: LineReport, ctx: FileContext | None = None) -> None:
    if ctx is not None and ctx.target in OPEN_WEIGHT and target_rules.not_a_target_format(value, shape, report, ctx):
        return
    if shape == NOT_OBJECT:
        examples = [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
        target = ctx.target if ctx is not None else "openai"
        if examples and len(examples) == len(value) and any(line_shape(e, target) != UNKNOWN_OBJECT for e in examples):
            report.add(R.JSON_ARRAY, f"This line is a JSON array of {len(examples)} examples; JSONL needs one example "
                       "per line, not an array.",
                       fix=make_fix("Put each example on its own line",
                                    report.replace_line("\n".join(compact_json(e) for e in examples))))
        else:
            kind = {str: "a string", int: "a number", float: "a number", bool: "true/false", list: "an array",
                    type(None): "null"}.get(type(value), "a value")
            report.add(R.NOT_AN_OBJECT, f"This line is {kind}, not an example: every line must be a JSON object "
                       'such as {"messages": [...]}.')
        return
    if shape == MESSAGE:
        report.add(R.MESSAGE_PER_LINE, f"This line is one {value.get('role', '')} message, not a conversation: each line "
                   'must hold a whole conversation, {"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}.')
        return
    if shape in Foreign.NAMES:
        converted = convert(shape, value)
        target = "preference (DPO)" if shape == Foreign.TRL_PREFERENCE else "chat"
        fix = make_fix(f"Convert the line to {target}", report.replace_line(compact_json(converted[1])), safe=False) \
            if converted else None
        report.add(R.FOREIGN_FORMAT, f"This line is {Foreign.NAMES[shape]}, not an OpenAI training format; convert it "
                   f"to {target}{_sketch(shape)}.", fix=fix)
        return
    keys = [key for key in value if isinstance(key, str)]
    guesses = {key: difflib.get_close_matches(key, _FORMAT_KEYS, n=1, cutoff=0.6) for key in keys}
    typo = next(((key, match[0]) for key, match in guesses.items() if match), None)
    shown = ", ".join(f'"{k}"' for k in keys[:6]) or "no keys"
    if typo:
        report.add(R.UNKNOWN_FORMAT, f'The object has none of the keys of a fine-tuning format (found {shown}); did you '
                   f'mean "{typo[1]}" instead of "{typo[0]}"?', (typo[0],), key=True,
                   fix=make_fix(f'Rename "{typo[0]}" to "{typo[1]}"', report.rename_key((typo[0],), typo[1])))
    else:
        report.add(R.UNKNOWN_FORMAT, f"The object has none of the keys of a fine-tuning format (found {shown}). A chat "
                   'example is {"messages": [{"role": "user", "content": ...}, {"role": "assistant", "content": ...}]}.')


def _sketch(shape: str) -> str:
    return {
        Foreign.TRL_PREFERENCE: ': {"input": {"messages": [user prompt]}, "preferred_output": [chosen], '
                                '"non_preferred_output": [rejected]}',
        Foreign.CLASSIFICATION: ": the text as the user message and the label as the assistant's answer",
        Foreign.ALPACA: ": instruction (and input) as the user message, output (or response) as the assistant's answer",
        Foreign.SHAREGPT: ": conversations becomes messages, from becomes role (human: user, gpt: assistant), "
                          "value becomes content",
    }.get(shape, ': {"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}')


__all__ = ["BLANK", "BROKEN", "EXAMPLE", "OTHER", "FileContext", "Fix", "LineResult", "analyze_line",
           "example_digest", "token_counter"]
