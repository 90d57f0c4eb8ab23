"""`finetune-ls split|dedupe|stats|redact`: prepare a dataset before a job.

Outputs never overwrite the input, nor an existing file without --force. Exit status:
0 done, 1 the input has lines that are not JSON objects (run `check`), 2 usage or I/O problem.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import asdict

from finetune_ls.cli.numbers import whole
from finetune_ls.cli.output import printable
from finetune_ls.cli.target_options import add_target_options, check_env_target, target_settings
from finetune_ls.core.engine import CheckSettings
from finetune_ls.core.regular_files import read_regular
from finetune_ls.prep.dedupe import dedupe
from finetune_ls.prep.plot import histogram_svg
from finetune_ls.prep.redact import redact
from finetune_ls.prep.outputs import default_output, refusal, write_all
from finetune_ls.prep.source import NotAnExample, Source, join, read_source
from finetune_ls.prep.split import check_validation_share, split
from finetune_ls.prep.stats import compute_stats, stats_json, stats_table


class Refused(Exception):
    """A usage or I/O problem: one line on stderr, exit status 2."""


def add_parsers(commands) -> None:
    parser = _command(commands, "split", run_split, "split a file into training and validation files",
                      "Split examples into NAME.train.jsonl and NAME.valid.jsonl: stratified by label for "
                      "classification-like data; duplicates stay on one side.")
    parser.add_argument("--valid", type=validation_share, default=0.1,
                        help="validation share (0.1) or count of examples (200); default 0.1")
    parser.add_argument("--seed", type=whole(), default=0, help="the same seed gives the same split (default 0)")
    parser.add_argument("--no-stratify", action="store_true", help="do not stratify by label")
    parser.add_argument("--train-output", metavar="FILE", help="default: NAME.train.jsonl")
    parser.add_argument("--valid-output", metavar="FILE", help="default: NAME.valid.jsonl")
    parser.add_argument("--model", help="with --target: whose tokenizer counts each side's tokens")
    add_target_options(parser)

    parser = _command(commands, "dedupe", run_dedupe, "remove duplicate examples, keeping the first",
                      "Remove exact and near duplicates (same text once case, punctuation and spacing are "
                      "normalised), keeping the first; lists what was removed.", output="NAME.dedup.jsonl")
    parser.add_argument("--exact", action="store_true", help="only exact duplicates (as parsed JSON)")

    parser = _command(commands, "stats", run_stats, "examples, messages and tokens: the distributions before a job",
                      "Examples, messages and tokens per example, tokens per role, trained tokens, the longest "
                      "examples and the system-prompt variants.")
    parser.add_argument("--model", help="whose tokenizer counts (default: per format, as check)")
    parser.add_argument("--plot", metavar="FILE.svg", help="also draw the tokens per example as an SVG histogram")
    add_target_options(parser)

    _command(commands, "redact", run_redact, "replace API keys, e-mail addresses, phone and card numbers",
             "Replace what the privacy rules find with [API_KEY], [EMAIL], [PHONE] and [CARD_NUMBER]; other "
             "lines are kept byte for byte.", output="NAME.redacted.jsonl")


def validation_share(text: str) -> float:
    """--valid: a fraction between 0 and 1, or a whole count of examples (argparse names the option)."""
    try:
        number = float(text)
    except ValueError:
        number = None
    try:
        return check_validation_share(number)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(f"{problem}, not {text!r}") from None


def _command(commands, name: str, run, summary: str, description: str, output: str | None = None):
    """A subcommand with what they all take: the input, -o (for one output), --force, --json."""
    parser = commands.add_parser(name, help=summary, description=description)
    parser.add_argument("input", metavar="INPUT", help="a JSONL file")
    if output:
        parser.add_argument("-o", "--output", metavar="FILE", help=f"default: {output}")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)
    return parser


def _read(path: str) -> Source:
    try:
        return read_source(read_regular(path, allow_pipe=True))  # a device is refused: /dev/zero never ends
    except OSError as problem:
        raise Refused(f"cannot read {path}: {problem.strerror or problem}") from None


def _write(outputs: list[tuple[str, bytes]], source: str, force: bool) -> None:
    """Write every output, or none: all are checked before the first is written."""
    if len({os.path.realpath(path) for path, _ in outputs}) < len(outputs):
        raise Refused("the outputs must be different files")
    for path, _ in outputs:
        problem = refusal(source, path, replace=force, how_to_replace="; use --force to replace it")
        if problem:
            raise Refused(problem)
    try:
        write_all(outputs, replace=force)
    except FileExistsError as problem:
        raise Refused(f"{problem.filename} exists; use --force to replace it; nothing written") from None
    except OSError as problem:
        where = f"{problem.filename}" if problem.filename else ", ".join(path for path, _ in outputs)
        raise Refused(f"cannot write {where}: {problem.strerror or problem}; nothing written") from None


def _count_settings(args: argparse.Namespace) -> CheckSettings:
    """check's settings for the counting options of stats and split: the same counts as check."""
    problem = check_env_target(args)
    if problem:
        raise Refused(problem)
    return CheckSettings(model=getattr(args, "model", None), provider="azure" if args.target == "azure" else "openai",
                         **target_settings(args))


def _run(work):
    def run(args: argparse.Namespace) -> int:
        try:
            text, data = work(args, _read(args.input))
        except NotAnExample as problem:
            print(f"finetune-ls: {printable(args.input)}: {problem}", file=sys.stderr)
            return 1
        except (Refused, ValueError) as problem:
            print(f"finetune-ls: {printable(str(problem))}", file=sys.stderr)
            return 2
        print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else text, end="" if args.json else "\n")
        return 0
    return run


def _blank_note(source: Source) -> str:
    return f"\n{len(source.blank)} empty line(s) left out: {', '.join(map(str, source.blank[:20]))}" \
        if source.blank else ""


@_run
def run_split(args: argparse.Namespace, source: Source):
    problem = check_env_target(args)  # before anything is written
    if problem:
        raise Refused(problem)
    result = split(source.lines, args.valid, args.seed, stratify=not args.no_stratify)
    if not result.valid or not result.train:
        raise Refused("the duplicates are too many to keep them on one side; run finetune-ls dedupe first")
    train = args.train_output or default_output(args.input, "train")
    valid = args.valid_output or default_output(args.input, "valid")
    _write([(train, join(result.train)), (valid, join(result.valid))], args.input, args.force)
    train, valid = printable(train), printable(valid)  # shown: a name that is not UTF-8 as \xff escapes
    text = f"{train}: {len(result.train):,} examples\n{valid}: {len(result.valid):,} examples"
    if result.labels:
        text += "\nstratified by label (train / valid): " + ", ".join(
            f"{label!r} {t}/{v}" for label, (t, v) in result.labels.items())
    data = {"train": {"path": train, "examples": len(result.train)},
            "valid": {"path": valid, "examples": len(result.valid)},
            "labels": {label: {"train": t, "valid": v} for label, (t, v) in (result.labels or {}).items()} or None,
            "blank_lines": source.blank}
    if args.target:  # each side's tokens, counted as check counts them for that target
        settings = _count_settings(args)
        sides = []
        for side, lines in (("train", result.train), ("valid", result.valid)):
            counted = compute_stats(lines, settings=settings)
            data[side].update({"tokens": counted.total_tokens if counted.encoding else None,
                               "over_limit": counted.over_limit})
            sides.append(f"{side} {counted.total_tokens:,} tokens" if counted.encoding else f"{side}: not counted")
        data["target"] = args.target
        text += f"\ntokens ({args.target}): " + ", ".join(sides)
    return text + _blank_note(source), data


@_run
def run_dedupe(args: argparse.Namespace, source: Source):
    result = dedupe(source.lines, near=not args.exact)
    output = args.output or default_output(args.input, "dedup")
    _write([(output, join(result.kept))], args.input, args.force)
    output = printable(output)
    lines = [f"{output}: kept {len(result.kept):,} of {len(source.lines):,} examples, removed {len(result.removed):,}"]
    lines += [f"  line {r.line.number}: {r.kind} duplicate of line {r.kept}" for r in result.removed]
    data = {"output": output, "kept": len(result.kept),
            "removed": [{"line": r.line.number, "duplicate_of": r.kept, "kind": r.kind} for r in result.removed],
            "blank_lines": source.blank}
    return "\n".join(lines) + _blank_note(source), data


@_run
def run_stats(args: argparse.Namespace, source: Source):
    stats = compute_stats(source.lines, args.model, _count_settings(args))
    data = stats_json(stats)
    if args.plot:
        svg = histogram_svg(stats.per_example_tokens, f"Tokens per example: {printable(os.path.basename(args.input))}",
                            f"tokens ({stats.encoding})")
        _write([(args.plot, svg.encode("utf-8"))], args.input, args.force)
        data["plot"] = printable(args.plot)
    return stats_table(stats, printable(args.input)).rstrip("\n") + _blank_note(source), data


@_run
def run_redact(args: argparse.Namespace, source: Source):
    result = redact(source.lines)
    output = args.output or default_output(args.input, "redacted")
    _write([(output, b"".join(result.lines))], args.input, args.force)
    output = printable(output)
    kinds = Counter(r.code for r in result.replacements)
    text = f"{output}: {len(result.replacements):,} replacement(s) in {len({r.line for r in result.replacements}):,} " \
           f"line(s)" + "".join(f"\n  {code}: {count:,}" for code, count in kinds.most_common())
    text += "".join(f"\n  line {r.line}:{r.column}: {r.code} -> {r.placeholder}" for r in result.replacements)
    data = {"output": output, "replacements": [asdict(r) for r in result.replacements], "blank_lines": source.blank}
    return text + _blank_note(source), data
