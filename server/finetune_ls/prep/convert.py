"""Rows of foreign data to training examples, for `finetune-ls convert` and the editor's
finetune.convertFile alike.

The shape of the rows is decided from the columns or keys seen, said out loud, and
refused when more than one shape fits or none does. Each row goes through the one-example
conversions of core/conversions.py; the result is checked by the engine before anything
is written, and a row that fails (unreadable, not convertible, or an error in the check)
is reported at its source row. Such rows are left out only when the caller asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from finetune_ls.core.conversions import (
    CONVERTERS, LegacyMarkers, chat_to_prompt_completion, compact_json, prompt_completion_to_chat,
    shared_legacy_markers, sharegpt_to_chat,
)
from finetune_ls.core.engine import CheckSettings, FileReport, check_text
from finetune_ls.core.findings import Finding, Severity
from finetune_ls.core.shapes import CHAT, PREFERENCE, PROMPT_COMPLETION, Foreign
from finetune_ls.prep.readers import Table

TARGETS = (CHAT, PREFERENCE, PROMPT_COMPLETION)
TABLE_KINDS = ("csv", "tsv", "xlsx")
NO_MARKERS = LegacyMarkers((), ())


@dataclass(frozen=True)
class Shape:
    name: str
    label: str
    required: tuple[tuple[str, ...], ...]  # per field, the keys that may hold it (the first present is read)
    optional: tuple[str, ...] = ()
    target: str = CHAT  # the training format it becomes
    passthrough: bool = False  # already a training format: the row is the example, without other keys

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(key for keys in self.required for key in keys) | frozenset(self.optional)


SHAPES = {shape.name: shape for shape in (
    Shape(CHAT, "chat (messages)", (("messages",),), ("tools", "functions", "parallel_tool_calls"),
          passthrough=True),
    Shape(PREFERENCE, "preference (input/preferred_output/non_preferred_output)",
          (("input",), ("preferred_output",), ("non_preferred_output",)), target=PREFERENCE, passthrough=True),
    Shape(PROMPT_COMPLETION, "prompt-completion (prompt/completion)", (("prompt",), ("completion",))),
    Shape(Foreign.TRL_PREFERENCE, "trl-preference (prompt/chosen/rejected)",
          (("prompt",), ("chosen",), ("rejected",)), target=PREFERENCE),
    Shape(Foreign.ALPACA, "alpaca (instruction/input/output)", (("instruction",), ("output", "response")),
          ("input", "system")),
    Shape(Foreign.SHAREGPT, "sharegpt (conversations with from/value)", (("conversations",),), ("system",)),
    Shape(Foreign.QUESTION_ANSWER, "question-answer (question/answer)", (("question",), ("answer",))),
    Shape(Foreign.CLASSIFICATION, "classification (text/label)", (("text",), ("label",))),
    Shape(Foreign.INPUT_OUTPUT, "input-output (input/output)", (("input",), ("output", "response"))),
)}
KNOWN_KEYS = frozenset().union(*(shape.keys for shape in SHAPES.values()))


class UsageProblem(Exception):
    """The conversion cannot start; the message names the options that would settle it.
    `plain` says it without quoting the input (the server's errors never show a file's text)."""

    def __init__(self, message: str, plain: str | None = None):
        super().__init__(message)
        self.plain = plain or message


class RowProblem(Exception):
    """One row cannot be converted; the message says why."""


@dataclass
class Options:
    to: str | None = None  # default: the shape's own target
    shape: str | None = None  # default: detected
    columns: dict[str, str] = field(default_factory=dict)  # key the shape reads -> source column (--prompt-col ...)
    system: str | None = None
    roles: dict[str, str] = field(default_factory=dict)  # speaker names -> chat roles (ShareGPT)
    skip_bad: bool = False


@dataclass(frozen=True)
class Detection:
    shape: Shape
    target: str
    used: tuple[str, ...]
    ignored: tuple[str, ...]  # columns or keys no conversion reads

    def describe(self) -> str:
        text = f"detected shape: {self.shape.label} -> {self.target}"
        return text + (f"; ignored: {', '.join(self.ignored)}" if self.ignored else "")


UNREADABLE = "unreadable-row"
NOT_CONVERTIBLE = "not-convertible"


@dataclass(frozen=True)
class RowNote:
    row: int  # source row (1-based line, or sheet row)
    code: str  # UNREADABLE, NOT_CONVERTIBLE, or the check's finding code
    message: str
    severity: str = Severity.ERROR.value

    def line(self, path: str) -> str:
        return f"{path}:{self.row}: {self.severity}[{self.code}] {self.message}"

    def as_json(self) -> dict:
        return {"row": self.row, "code": self.code, "severity": self.severity, "message": self.message}


@dataclass
class Outcome:
    detection: Detection
    examples: list[tuple[int, dict]]  # what would be written: (source row, example)
    problems: list[RowNote]  # rows not in the output: unreadable, not convertible, or failing the check
    warnings: list[RowNote]  # warnings of the output's check, at their source rows
    report: FileReport  # the check of exactly what would be written
    skip_bad: bool

    @property
    def writable(self) -> bool:
        """Nothing is left out unless the caller asked for it (and there is something to write)."""
        return bool(self.examples) and (not self.problems or self.skip_bad)

    def why_not_written(self, skip_option: str, quoting: bool = True) -> str:
        """Why nothing is written, when not `writable`; `skip_option` is how the caller asks to
        skip. Without `quoting`, the first problem is named by its code (its message may quote the row)."""
        if not self.problems:
            return "no rows to convert; nothing written"
        if self.skip_bad:
            return "no row could be converted; nothing written"
        first = self.problems[0]
        return (f"{len(self.problems)} rows cannot be converted (the first: row {first.row}, "
                f"{first.message if quoting else first.code}); "
                f"nothing written. Fix them, or leave them out with {skip_option}")

    @property
    def file_findings(self) -> list[Finding]:
        return [f for f in self.report.findings if f.scope == "file"]

    def text(self) -> str:
        return output_text(example for _, example in self.examples)

    def as_json(self, input_path: str, output_path: str, written: bool) -> dict:
        """The machine-readable report of `convert --json` and of finetune.convertFile."""
        detection = self.detection
        return {
            "version": 1, "input": input_path, "output": output_path, "written": written,
            "detected": {"shape": detection.shape.name, "label": detection.shape.label, "target": detection.target,
                         "used": list(detection.used), "ignored": list(detection.ignored)},
            "converted": len(self.examples) if written else 0,
            "problems": [note.as_json() for note in self.problems],
            "skipped": [note.row for note in self.problems] if written else [],
            "warnings": [note.as_json() for note in self.warnings],
            "check": {"format": self.report.format, "errors": self.report.count(Severity.ERROR),
                      "warnings": self.report.count(Severity.WARNING),
                      "findings": [{"code": f.code, "severity": f.severity.value, "message": f.message}
                                   for f in self.file_findings],
                      "summary": self.report.summary},
        }


def output_text(examples) -> str:
    return "".join(compact_json(example) + "\n" for example in examples)


# ---------------------------------------------------------------- columns and shapes
def _named_rows(table: Table, options: Options) -> tuple[list, list[str]]:
    """The rows with their keys as the shapes name them: the columns given with
    --prompt-col and the like, or else table headers matched without regard to case."""
    if options.columns:
        missing = [column for column in options.columns.values() if column not in table.columns]
        if missing:
            named = f"no column {', '.join(map(repr, missing))}"
            raise UsageProblem(f"{named}; seen: {_listing(table.columns)}", f"{named} among {_count(table.columns)}")
        mapping = {column: key for key, column in options.columns.items()}
    elif table.kind in TABLE_KINDS:
        mapping = {}
        for column in table.columns:
            key = column.strip().lower()
            if key in KNOWN_KEYS and column != key and key not in table.columns:
                mapping[column] = key
        mapping = {column: mapping.get(column, column) for column in table.columns}
    else:
        return table.rows, table.columns
    rows = [row if not isinstance(row.value, dict) else
            type(row)(row.number, {mapping[k]: v for k, v in row.value.items() if k in mapping}, row.problem)
            for row in table.rows]
    return rows, list(mapping.values())


def _listing(keys) -> str:
    return ", ".join(keys) if keys else "(none)"


def _count(keys, what: str = "columns") -> str:
    """How many columns (or keys) the input has, without naming them."""
    if not keys:
        return f"the input's {what} (none)"
    return f"the {len(keys)} {what} of the input" if len(keys) > 1 else f"the one {what[:-1]} of the input"


def _used(shape: Shape, present: set[str]) -> tuple[str, ...]:
    return tuple(key for keys in shape.required for key in keys if key in present) + \
        tuple(key for key in shape.optional if key in present)


def _fits(shape: Shape, present: set[str]) -> bool:
    return all(any(key in present for key in keys) for keys in shape.required)


def _target(shape: Shape, to: str | None) -> str:
    if to in (None, shape.target) or (to == PROMPT_COMPLETION and shape.target == CHAT):
        return to or shape.target
    raise UsageProblem(f"{shape.label} converts to {shape.target} data, not {to}; drop --to or pick another --shape")


def detect(columns: list[str], options: Options, what: str = "columns") -> Detection:
    present = set(columns)
    if options.shape:
        shape = SHAPES[options.shape]
        if not _fits(shape, present):
            needed = " and ".join("/".join(keys) for keys in shape.required)
            raise UsageProblem(f"--shape {shape.name} needs {needed}; {what} seen: {_listing(columns)}",
                               f"--shape {shape.name} needs {needed}, which are not among {_count(columns, what)}")
    else:
        fitting = [s for s in SHAPES.values() if _fits(s, present)]
        # A shape whose keys are all part of another fitting shape's is that one (alpaca holds input/output).
        fitting = [s for s in fitting
                   if not any(set(_used(s, present)) < set(_used(other, present)) for other in fitting)]
        hint = ("name the columns with --prompt-col COL --completion-col COL, or pick one with --shape "
                f"{'|'.join(SHAPES)}")
        if not fitting:
            raise UsageProblem(f"no known shape in the {what} seen: {_listing(columns)}; {hint}",
                               f"no known shape in {_count(columns, what)}; {hint}")
        if len(fitting) > 1:
            labels = '; '.join(s.label for s in fitting)
            raise UsageProblem(f"more than one shape fits the {what} seen ({_listing(columns)}): {labels}; {hint}",
                               f"more than one shape fits {_count(columns, what)}: {labels}; {hint}")
        shape = fitting[0]
    target = _target(shape, options.to)
    if options.system and target == PROMPT_COMPLETION:
        raise UsageProblem("--system has no place in prompt-completion data (it holds one prompt and one completion)")
    used = _used(shape, present)
    ignored = tuple(c for c in columns if c not in used)
    return Detection(shape, target, used, ignored)


# ---------------------------------------------------------------- one row
def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a number" if isinstance(value, (int, float)) else "text"


def _is_text(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _explain_conversation(conversation: object, roles: dict[str, str]) -> str:
    if not isinstance(conversation, list) or not conversation:
        return f"'conversations' is {_kind(conversation) if conversation != [] else 'empty'}, not a list of turns"
    for number, turn in enumerate(conversation, start=1):
        if not isinstance(turn, dict):
            return f"turn {number} of 'conversations' is {_kind(turn)}, not an object"
        speaker = turn.get("from", turn.get("role"))
        if not isinstance(speaker, str):
            return f"turn {number} of 'conversations' has no 'from' speaker"
        if not _is_text(turn.get("value", turn.get("content"))):
            return f"turn {number} of 'conversations' has no text 'value'"
        if sharegpt_to_chat({"conversations": [turn]}, roles) is None and speaker in roles:
            return f"turn {number}: --role maps {speaker!r} to {roles[speaker]!r}, which is not a chat role"
        if sharegpt_to_chat({"conversations": [turn]}, roles) is None:
            return (f"turn {number}: the speaker {speaker!r} is not a chat role; map it with "
                    f"--role {speaker}=user (or system, assistant)")
    return "cannot be converted as sharegpt"


def explain(shape: Shape, value: dict, roles: dict[str, str]) -> str:
    """Why a row of this shape did not convert."""
    if shape.name == Foreign.SHAREGPT:
        return _explain_conversation(value.get("conversations"), roles)
    for keys in shape.required:
        key = next((k for k in keys if k in value), None)
        if key is None:
            return f"the row has no {' or '.join(map(repr, keys))}"
        if not _is_text(value[key]) and shape.name != Foreign.TRL_PREFERENCE:
            return f"{key!r} is {_kind(value[key])}, not text"
    if shape.name == Foreign.TRL_PREFERENCE:
        return ("'prompt' must be text or a list of messages, and 'chosen' and 'rejected' text or a list of "
                "messages that ends with the answer")
    return f"cannot be converted as {shape.label}"


def with_system(example: dict, system: str) -> dict:
    """The example with a system message first (a copy; the input row stays as read)."""
    holder = example.get("input") if "input" in example else example
    messages = holder.get("messages") if isinstance(holder, dict) else None
    if not isinstance(messages, list):
        return example  # not a conversation: the check reports it
    if any(isinstance(m, dict) and m.get("role") == "system" for m in messages):
        raise RowProblem("the row already has a system message; --system would add a second one")
    new_holder = {**holder, "messages": [{"role": "system", "content": system}, *messages]}
    return {**example, "input": new_holder} if holder is not example else new_holder


def _native(shape: Shape, value: dict, options: Options, markers: LegacyMarkers) -> dict | None:
    if shape.passthrough:  # OpenAI rejects other keys; they are named as ignored when detected
        return {key: item for key, item in value.items() if key in shape.keys}
    if shape.name == PROMPT_COMPLETION:
        return prompt_completion_to_chat(value, None, markers)
    if shape.name == Foreign.SHAREGPT:
        return sharegpt_to_chat(value, options.roles)
    return CONVERTERS[shape.name][1](value)


def convert_value(value: object, detection: Detection, options: Options, markers: LegacyMarkers = NO_MARKERS) -> dict:
    """One row as one example in the target format; RowProblem when it cannot be."""
    if not isinstance(value, dict):
        raise RowProblem(f"the row is {_kind(value)}, not an object")
    shape = detection.shape
    if shape.name == PROMPT_COMPLETION and detection.target == PROMPT_COMPLETION:
        if not (_is_text(value.get("prompt")) and _is_text(value.get("completion"))):
            raise RowProblem(explain(shape, value, options.roles))
        return {"prompt": str(value["prompt"]), "completion": str(value["completion"])}  # kept as written
    example = _native(shape, value, options, markers)
    if example is None:
        raise RowProblem(explain(shape, value, options.roles))
    if options.system:
        example = with_system(example, options.system)
    if detection.target == PROMPT_COMPLETION:
        pair = chat_to_prompt_completion(example)
        if pair is None:
            raise RowProblem("the row is not one user message and one text answer, which is all "
                             "prompt-completion holds")
        return pair
    return example


# ---------------------------------------------------------------- the whole file
def _check(examples: list[tuple[int, dict]], settings: CheckSettings, path: str):
    """The engine's report on the output, and its line errors and warnings by output index."""
    report = check_text(output_text(e for _, e in examples), settings, path)
    errors: dict[int, list[RowNote]] = {}
    warnings: list[RowNote] = []
    for finding in report.findings:
        if finding.scope != "line" or finding.line >= len(examples):
            continue
        # The engine's message may name other lines of the output, so the output line is said too.
        note = RowNote(examples[finding.line][0], finding.code, f"{finding.message} (output line {finding.line + 1})",
                       finding.severity.value)
        if finding.severity == Severity.ERROR:
            errors.setdefault(finding.line, []).append(note)
        elif finding.severity == Severity.WARNING:
            warnings.append(note)
    return report, errors, warnings


def convert_table(table: Table, options: Options, settings: CheckSettings | None = None,
                  output_path: str = "<output>") -> Outcome:
    """Detect, convert every row and check the result. UsageProblem when it cannot start."""
    rows, columns = _named_rows(table, options)
    if not columns and rows:  # no keys to tell a shape by: say what the rows are instead
        first = rows[0]
        raise UsageProblem(f"no row is an object with keys; {len(rows)} rows, the first at line {first.number}: "
                           f"{first.problem or f'the row is {_kind(first.value)}'}")
    detection = detect(columns, options, "columns" if table.kind in TABLE_KINDS else "keys")
    if options.columns:  # the rows were cut down to the named columns: the others are ignored
        named = set(options.columns.values())
        detection = replace(detection, ignored=tuple(c for c in table.columns if c not in named))
    markers = NO_MARKERS
    if detection.shape.name == PROMPT_COMPLETION and detection.target == CHAT:
        markers = shared_legacy_markers(row.value for row in rows)
    examples: list[tuple[int, dict]] = []
    problems: list[RowNote] = []
    for row in rows:
        if row.problem:
            problems.append(RowNote(row.number, UNREADABLE, row.problem))
            continue
        try:
            examples.append((row.number, convert_value(row.value, detection, options, markers)))
        except RowProblem as problem:
            problems.append(RowNote(row.number, NOT_CONVERTIBLE, str(problem)))
    settings = settings or CheckSettings()
    report, errors, warnings = _check(examples, settings, output_path)
    while errors:  # rows the check rejects are problems too; left out, the rest is checked again
        problems += [note for notes in errors.values() for note in notes]
        examples = [example for index, example in enumerate(examples) if index not in errors]
        report, errors, warnings = _check(examples, settings, output_path)
    problems.sort(key=lambda note: note.row)
    return Outcome(detection, examples, problems, warnings, report, options.skip_bad)
