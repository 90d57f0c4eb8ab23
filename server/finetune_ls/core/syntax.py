"""Why a line is not valid JSON, said precisely, with a fix where one is certain.

A parser stops at the first error. To report every error on a line (not only
the first), each repair that is certain (a missing bracket, a trailing comma, a
raw tab in a string) is applied to a working copy and the line is parsed
again, up to a few rounds; positions are mapped back to the original text.
"""

from __future__ import annotations

import ast
import json
import math
import re
import sys
from dataclasses import dataclass

import orjson

from finetune_ls.core import rules as R
from finetune_ls.core.rules import Rule

_MAX_ROUNDS = 8
_MAX_LITERAL_EVAL = 2_000_000  # characters; literal_eval is slow and recursive
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[{}\[\]]')
_CLOSER = {"{": "}", "[": "]"}
_KIND = {"{": "object", "[": "array"}
_NUMBER = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)')
_PYTHON_INT_DIGITS = getattr(sys, "get_int_max_str_digits", lambda: 4300)() or None  # 0: no limit
_CONTROL_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f"}


@dataclass(frozen=True, slots=True)
class LineEdit:
    """An edit within one line (columns in code points)."""

    start: int
    end: int
    new_text: str


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    rule: Rule
    start: int
    end: int
    message: str
    fix_title: str | None = None
    edits: tuple[LineEdit, ...] = ()
    delete_line: bool = False  # the fix deletes the whole line


@dataclass(frozen=True, slots=True)
class Diagnosis:
    problems: tuple[SyntaxProblem, ...]
    repaired: object = None  # the value after all certain repairs, when they sufficed
    repaired_ok: bool = False
    repaired_text: str = ""  # the line with those repairs applied
    rounds: object = None  # maps positions in repaired_text back to the line

    def to_original(self, position: int) -> int:
        return self.rounds.to_original(position) if self.rounds is not None else position


def open_brackets(text: str, end: int) -> list[tuple[str, int]]:
    """Brackets still open at `end` (string-aware), as (bracket, column) pairs."""
    stack: list[tuple[str, int]] = []
    for match in _STRUCTURE.finditer(text, 0, end):
        token = match.group()
        if token in ("{", "["):
            stack.append((token, match.start()))
        elif token in ("}", "]"):
            if stack:
                stack.pop()
    return stack


def ends_inside_string(text: str) -> int | None:
    """Column where an unterminated string starts, if the line ends inside one."""
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token.startswith('"') and (len(token) == 1 or not _closed_string(token)):
            return match.start()
    return None


def _closed_string(token: str) -> bool:
    if not token.endswith('"') or len(token) < 2:
        return False
    backslashes = len(token) - 1 - len(token[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def is_comment(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith(("//", "#", "/*"))


def _human_parser_message(message: str) -> str:
    message = message.split(": line ", 1)[0]
    replacements = {
        "unexpected character, expected ',' or '}'": "expected ',' or '}' here",
        "unexpected character, expected ',' or ']'": "expected ',' or ']' here",
        "unexpected character, expected a JSON value": "expected a value (a string in double quotes, a number, "
        "true, false, null, an object or an array) here",
        "key must be a string": "expected a key in double quotes here",
        "expected ':'": "expected ':' after the key",
    }
    for raw, human in replacements.items():
        if message.startswith(raw):
            return human
    return message


class _Rounds:
    """A working copy of the line with the edits applied so far, and the map back."""

    def __init__(self, text: str):
        self.original = text
        self.current = text
        self.applied: list[tuple[int, int, int]] = []  # (position, removed, inserted) in current coords

    def to_original(self, pos: int) -> int:
        for at, removed, inserted in reversed(self.applied):
            if pos >= at + inserted:
                pos -= inserted - removed
            elif pos > at:
                pos = at
        return max(0, min(pos, len(self.original)))

    def apply(self, start: int, end: int, new_text: str) -> LineEdit:
        edit = LineEdit(self.to_original(start), self.to_original(end), new_text)
        self.current = self.current[:start] + new_text + self.current[end:]
        self.applied.append((start, end - start, len(new_text)))
        return edit


def _python_literal(text: str) -> SyntaxProblem | None:
    if len(text) > _MAX_LITERAL_EVAL:
        return None
    try:
        value = ast.literal_eval(text.strip())
        as_json = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(value, (dict, list)):
        return None
    return SyntaxProblem(
        R.PYTHON_LITERAL, 0, len(text),
        "This line is a Python dict, not JSON (single quotes, True/False/None): it was written with str() or "
        "print(). Write lines with json.dumps(example).",
        "Rewrite the line as JSON", (LineEdit(0, len(text), as_json),),
    )


def out_of_range_numbers(text: str) -> list[tuple[int, int]]:
    """Spans of the numbers (outside strings) that a 64-bit float cannot hold."""
    spans = []
    for match in _NUMBER.finditer(text):
        if match.group(1) and math.isinf(float(match.group(1))):
            spans.append(match.span(1))
    return spans


def out_of_range_message(number: str, trainer: str = "OpenAI") -> str:
    """What a number beyond a 64-bit float becomes. No source says what the trainer's
    parser (`trainer`: OpenAI, or an open-weight target's name) does with one, so the
    message says what common parsers do and that it is not known."""
    digits = number.lstrip("-")
    is_integer = digits.isdigit()
    if is_integer and len(number) > 24:
        shown = f"This {len(digits):,}-digit integer"
    else:
        shown = number if len(number) <= 24 else f"{number[:20]}…"
    if not is_integer:
        python = f"reads it as {'-' if number.startswith('-') else ''}Infinity"
    elif _PYTHON_INT_DIGITS and len(digits) > _PYTHON_INT_DIGITS:
        python = f"refuses it (more than {_PYTHON_INT_DIGITS:,} digits)"
    else:
        python = "reads it as an exact integer"
    return (f"{shown} is valid JSON but beyond a 64-bit float (±1.8e308): Python's json {python}, JavaScript "
            f"reads ±Infinity, orjson and Go's encoding/json refuse it. What {trainer} does with it is not documented: write it as a "
            "string, or as a smaller number.")


def diagnose(text: str, trainer: str = "OpenAI", rejects: str = "OpenAI rejects the file") -> Diagnosis:
    """Explain why `text` (one line, not valid JSON) fails, as precisely as possible.
    `trainer` and `rejects` name who reads the file and what it does with a broken line."""
    if is_comment(text):
        return Diagnosis((SyntaxProblem(
            R.COMMENT_LINE, 0, len(text),
            f"JSONL has no comments: this line is not an example and {rejects}. Delete it.",
            "Delete the comment line", delete_line=True),))

    work = _Rounds(text)
    problems: list[SyntaxProblem] = []
    for _ in range(_MAX_ROUNDS):
        try:
            value = orjson.loads(work.current)
        except orjson.JSONDecodeError as error:
            applied_before = len(work.applied)
            problem = _one_problem(work, error, not problems, trainer)
            if problem is None:
                break
            problems.append(problem)
            if len(work.applied) == applied_before:  # nothing certain to repair: stop here
                return Diagnosis(tuple(problems))
            continue
        return Diagnosis(tuple(problems), value, True, work.current, work)
    return Diagnosis(tuple(problems))


def _one_problem(work: _Rounds, error: orjson.JSONDecodeError, first: bool,
                 trainer: str = "OpenAI") -> SyntaxProblem | None:
    text = work.current
    pos = min(error.pos, len(text))
    message = str(error)
    char = text[pos : pos + 1]
    original_pos = work.to_original(pos)

    if first and (char == "'" or text[pos : pos + 4] in ("True", "None") or text[pos : pos + 5] == "False"):
        literal = _python_literal(work.original)
        if literal:
            return literal

    if message.startswith("trailing comma"):
        edit = work.apply(pos, pos + 1, "")
        return SyntaxProblem(R.TRAILING_COMMA, edit.start, edit.start + 1,
                             "Trailing comma before a closing bracket: JSON does not allow it.",
                             "Remove the trailing comma", (edit,))

    if "control character" in message and char in _CONTROL_ESCAPES or (char and ord(char[0]) < 0x20
                                                                       and "control character" in message):
        escape = _CONTROL_ESCAPES.get(char, f"\\u{ord(char):04x}")
        name = {"\t": "tab", "\n": "line break", "\r": "carriage return"}.get(char, f"control character U+{ord(char):04X}")
        edit = work.apply(pos, pos + 1, escape)
        return SyntaxProblem(R.JSON_SYNTAX, edit.start, edit.start + 1,
                             f"A raw {name} inside a string: JSON needs it written as {escape}.",
                             f"Write the {name} as {escape}", (edit,))

    if char in ("}", "]"):
        stack = open_brackets(text, pos)
        if stack and _CLOSER[stack[-1][0]] != char:
            opener, opened_at = stack[-1]
            closer = _CLOSER[opener]
            column = work.to_original(opened_at) + 1
            # Either a closer is missing before this one (insert), or this one is the
            # wrong bracket (replace): keep whichever lets the parser get further.
            if _progress(text[:pos] + closer + text[pos + 1:]) > _progress(text[:pos] + closer + text[pos:]):
                edit = work.apply(pos, pos + 1, closer)
                return SyntaxProblem(
                    R.UNCLOSED_BRACKET, edit.start, edit.start + 1,
                    f"The {_KIND[opener]} opened at column {column} is closed with '{char}': write '{closer}'.",
                    f"Replace '{char}' with '{closer}'", (edit,))
            edit = work.apply(pos, pos, closer)
            return SyntaxProblem(
                R.UNCLOSED_BRACKET, edit.start, edit.start + 1,
                f"The {_KIND[opener]} opened at column {column} is not closed before this '{char}': insert "
                f"'{closer}' here.", f"Insert '{closer}'", (edit,))

    if pos >= len(text.rstrip()) and message.startswith("unexpected end"):
        string_start = ends_inside_string(text)
        if string_start is not None:
            return SyntaxProblem(
                R.JSON_SYNTAX, work.to_original(string_start), len(work.original),
                f"The string that starts at column {work.to_original(string_start) + 1} is not closed on this line "
                "(a raw line break inside a string ends the line early; write it as \\n).")
        stack = open_brackets(text, len(text))
        if stack and text.rstrip()[-1:] in ("{", "[", ":", ","):
            # "{" or '"messages": [' alone: the start of an object written over several
            # lines, not a line missing its end; closing it here would lose the rest.
            opener, opened_at = stack[-1]
            return SyntaxProblem(
                R.JSON_SYNTAX, work.to_original(opened_at), len(work.original),
                f"The line ends inside the {_KIND[opener]} opened at column {work.to_original(opened_at) + 1}: an "
                "example must be a whole JSON object on one line (this looks like part of one written over "
                "several lines).")
        if stack:
            closers = "".join(_CLOSER[opener] for opener, _ in reversed(stack))
            end = len(text.rstrip())
            if text[:end].endswith(","):
                end -= 1
            names = " and ".join(f"the {_KIND[o]} opened at column {work.to_original(at) + 1}" for o, at in reversed(stack))
            edit = work.apply(end, len(text.rstrip()), closers)
            return SyntaxProblem(
                R.UNCLOSED_BRACKET, max(0, edit.start - 1), len(work.original),
                f"The line ends before {names} {'is' if len(stack) == 1 else 'are'} closed: add '{closers}' at the end.",
                f"Add '{closers}'", (edit,))

    if message.startswith("unexpected content after document"):
        rest = text[pos:].strip()
        if first and text.lstrip().startswith('"') and rest.startswith(":"):
            return SyntaxProblem(R.JSON_SYNTAX, 0, len(work.original),
                                 "This line is a key and its value without the object around them: it looks like "
                                 "part of an example written over several lines. Each line must hold a whole "
                                 "example object.")
        if rest.startswith("{"):
            # Not applied to the working copy: after the split there are two lines to check.
            edit = LineEdit(original_pos, work.to_original(pos + len(text[pos:]) - len(text[pos:].lstrip())), "\n")
            return SyntaxProblem(R.JSON_SYNTAX, original_pos, len(work.original),
                                 "A second example starts here on the same line: JSONL needs one example per line.",
                                 "Put the second example on its own line", (edit,))
        if rest.rstrip(",") == "":
            edit = work.apply(pos, len(text), "")
            return SyntaxProblem(R.TRAILING_COMMA, original_pos, len(work.original),
                                 "Trailing comma after the example (left over from a JSON array): remove it.",
                                 "Remove the trailing comma", (edit,))
        return SyntaxProblem(R.JSON_SYNTAX, original_pos, len(work.original),
                             "Unexpected text after the end of the example.")

    if message.startswith("number is infinity"):
        number = _NUMBER.match(text, pos)
        if number and number.group(1):
            # Not a syntax error: a finite stand-in in the working copy lets the rest be checked.
            start, end = number.span(1)
            work.apply(start, end, "-1e308" if number.group(1).startswith("-") else "1e308")
            return SyntaxProblem(R.NUMBER_OUT_OF_RANGE, original_pos, original_pos + end - start,
                                 out_of_range_message(number.group(1), trainer))

    if text[pos:].startswith(("NaN", "Infinity", "-Infinity")):
        word = "NaN" if text[pos:].startswith("NaN") else "Infinity"
        return SyntaxProblem(R.JSON_SYNTAX, original_pos, original_pos + len(word),
                             f"{word} is not JSON (Python writes it; JSON has no such value). Use null or a number.")

    if first and char == "'" :
        return SyntaxProblem(R.JSON_SYNTAX, original_pos, original_pos + 1,
                             "JSON strings and keys need double quotes, not single quotes.")

    return SyntaxProblem(R.JSON_SYNTAX, original_pos, min(original_pos + 1, len(work.original)) or 0,
                         f"Invalid JSON: {_human_parser_message(message)}.")


def _progress(text: str) -> int:
    """How far the parser gets into `text` (its length when it parses)."""
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as error:
        return error.pos
    return len(text) + 1
