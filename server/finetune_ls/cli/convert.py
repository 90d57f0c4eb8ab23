"""`finetune-ls convert`: CSV, TSV, JSON, JSON Lines or XLSX data into a training file.

Exit status: 0 written and its check found no errors; 1 rows could not be converted
(nothing written without --skip-bad), or the written file still has errors (such as
fewer than 10 examples); 2 a usage or I/O problem, an unclear shape, or a refused output.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from finetune_ls.cli.output import printable
from finetune_ls.core.engine import CheckSettings
from finetune_ls.core.findings import Severity
from finetune_ls.prep.convert import (
    SHAPES, TARGETS, Options, UsageProblem, convert_table,
)
from finetune_ls.prep.outputs import default_output, refusal, write_atomically
from finetune_ls.prep.readers import INPUT_KINDS, ReadError, kind_of, read_path

COLUMN_OPTIONS = {"prompt": "prompt_col", "completion": "completion_col", "chosen": "chosen_col",
                  "rejected": "rejected_col"}


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "convert", help="turn CSV, TSV, JSON, JSONL or XLSX data into a training file",
        description="Convert data into an OpenAI training file: prompt/completion (legacy separators and endings "
                    "stripped), Alpaca, question/answer, ShareGPT, text/label and input/output rows become chat; "
                    "TRL prompt/chosen/rejected becomes preference (DPO) data. The output is checked before it is "
                    "written. Exit 0: written, no errors; 1: rows not converted, or the output has errors; 2: usage "
                    "or I/O problem.")
    parser.add_argument("input", metavar="INPUT", help="the data: .csv, .tsv, .json, .jsonl or .xlsx (first sheet)")
    parser.add_argument("-o", "--output", metavar="OUTPUT",
                        help="the training file to write (default: next to INPUT, named INPUT.TARGET.jsonl)")
    parser.add_argument("--to", choices=TARGETS, help="the training format to write (default: from the shape)")
    parser.add_argument("--from", dest="kind", choices=INPUT_KINDS, help="the input format (default: from its name)")
    parser.add_argument("--shape", choices=tuple(SHAPES), help="the shape of the rows (default: detected)")
    for key, dest in COLUMN_OPTIONS.items():
        parser.add_argument(f"--{key}-col", dest=dest, metavar="COLUMN", help=f"the column or key that holds the {key}")
    parser.add_argument("--system", metavar="TEXT", help="a system message to put first in every example")
    parser.add_argument("--role", action="append", default=[], metavar="FROM=TO",
                        help="map a speaker name to a chat role (ShareGPT), e.g. --role narrator=system; may repeat")
    parser.add_argument("--skip-bad", action="store_true",
                        help="leave out rows that cannot be converted (each is still reported) and write the rest")
    parser.add_argument("--force", action="store_true", help="replace OUTPUT if it exists (never the input)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable report on standard output")
    parser.add_argument("--model", help="the model the output is checked for (default: per format, as check)")
    parser.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)  # for reproducible tests
    parser.set_defaults(run=run)


def options_from(args: argparse.Namespace) -> Options:
    roles = {}
    for pair in args.role:
        speaker, sep, role = pair.partition("=")
        if not sep or not speaker or not role:
            raise UsageProblem(f"--role takes FROM=TO (e.g. narrator=system), not {pair!r}")
        roles[speaker] = role
    columns = {key: getattr(args, dest) for key, dest in COLUMN_OPTIONS.items() if getattr(args, dest)}
    return Options(to=args.to, shape=args.shape, columns=columns, system=args.system, roles=roles,
                   skip_bad=args.skip_bad)


def _refused(input_path: str, output_path: str, force: bool) -> bool:
    problem = refusal(input_path, output_path, replace=force, how_to_replace="; pass --force to replace it")
    if problem:
        print(f"finetune-ls: {printable(problem)}", file=sys.stderr)
    return problem is not None


def run(args: argparse.Namespace) -> int:
    shown = printable(args.input)  # a name that is not UTF-8 is shown with \xff escapes
    if args.output and _refused(args.input, args.output, args.force):
        return 2
    try:
        options = options_from(args)
        kind = args.kind or kind_of(args.input)
    except (UsageProblem, ReadError) as problem:
        print(f"finetune-ls: {printable(str(problem))}", file=sys.stderr)
        return 2
    try:
        table = read_path(args.input, kind, allow_pipe=True)
    except ReadError as problem:
        where = f"{shown}:{problem.line}" if problem.line else shown
        print(f"{where}: error: {problem}", file=sys.stderr)
        return 1
    except OSError as problem:
        print(f"finetune-ls: cannot read {shown}: {problem.strerror or problem}", file=sys.stderr)
        return 2
    try:
        outcome = convert_table(table, options, CheckSettings(model=args.model, today=args.today),
                                output_path=args.output or args.input)
    except UsageProblem as problem:
        print(f"finetune-ls: {shown}: {problem}", file=sys.stderr)
        return 2
    output_path = args.output or default_output(args.input, outcome.detection.target)
    if not args.output and _refused(args.input, output_path, args.force):
        return 2
    outcome.report.path = output_path
    shown_output = printable(output_path)
    if not args.json:
        print(outcome.detection.describe())
    for note in outcome.problems:
        print(note.line(shown), file=sys.stderr)
    for note in outcome.warnings:
        print(note.line(shown), file=sys.stderr)
    written = outcome.writable
    if written:
        try:
            write_atomically(output_path, outcome.text(), replace=args.force)
        except OSError as problem:
            print(f"finetune-ls: cannot write {shown_output}: {problem.strerror or problem}", file=sys.stderr)
            return 2
        for finding in outcome.file_findings:
            if finding.severity in (Severity.ERROR, Severity.WARNING):
                print(f"{shown_output}: {finding.severity.value}[{finding.code}] {finding.message}", file=sys.stderr)
    if args.json:
        json.dump(outcome.as_json(shown, shown_output, written), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    elif written:
        left_out = f"; left out {len(outcome.problems)} rows (--skip-bad)" if outcome.problems else ""
        print(f"wrote {len(outcome.examples)} {outcome.detection.target} examples to {shown_output}{left_out}")
    if not written:
        print(f"finetune-ls: {outcome.why_not_written('--skip-bad')}", file=sys.stderr)
        return 1
    return 1 if outcome.report.has_errors else 0
