"""`finetune-ls check`: the engine for people and CI.

Exit status: 0 no errors, 1 errors found, 2 usage or I/O problem.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import NamedTuple

from finetune_ls.cli import output
from finetune_ls.cli.numbers import whole
from finetune_ls.cli.progress import Progress
from finetune_ls.cli.target_options import add_target_options, check_env_target, target_settings
from finetune_ls.core.catalog import CatalogError, bundled_catalog
from finetune_ls.core.findings import Severity
from finetune_ls.core.engine import VALIDATION, CheckSettings, FileReport, check_bytes, check_path, mark_overlap
from finetune_ls.core.regular_files import is_pipe, open_regular
from finetune_ls.core.targets import target_info

SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".finetune"}
PROGRESS_MIN_BYTES = 16 * 1024 * 1024
FORMATS = ("text", "json", "sarif", "github")


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "check", help="check fine-tuning JSONL files",
        description="Check OpenAI fine-tuning JSONL files: every problem at its line and column, token counts and "
                    "a cost estimate. Exit 0: no errors; 1: errors found; 2: usage or I/O problem.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or folders (folders: every *.jsonl inside); - for standard input")
    parser.add_argument("--model", help="target model (default: per format, see the summary)")
    parser.add_argument("--method", choices=("supervised", "dpo", "reinforcement"),
                        help="training method (default: from the file's format)")
    parser.add_argument("--validation-file", metavar="FILE", help="validation file: checked too, and overlap flagged")
    parser.add_argument("--epochs", type=whole(1, 50),
                        help="epochs for the cost estimate, 1 to 50 (default: OpenAI's heuristic)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--provider", choices=("openai", "azure", "compatible"),
                        default=os.environ.get("FINETUNE_LS_PROVIDER", "openai"),
                        help="where the model is trained: its catalog (models, dates, prices, limits); azure uses "
                             "Azure OpenAI's own (default: FINETUNE_LS_PROVIDER, else openai)")
    parser.add_argument("--training-type", choices=("Standard", "GlobalStandard", "Developer"),
                        help="Azure's training type for the cost estimate (default: the model's default, see the "
                             "summary)")
    parser.add_argument("--catalog", action="append", metavar="FILE",
                        help="extra model catalog (JSON, same shape as the bundled one), merged on top of the "
                             "provider's; may repeat")
    parser.add_argument("--hints", action="store_true",
                        help="also print hints (editor-only advice such as 'convert this line to chat')")
    parser.add_argument("--no-tokens", action="store_true", help="skip token counting (no costs)")
    parser.add_argument("--no-privacy", action="store_true",
                        help="do not report API keys, e-mail addresses, phone or card numbers in the text")
    parser.add_argument("--no-cache", action="store_true",
                        help="do not read or write the result cache (per line and per file)")
    parser.add_argument("--jobs", type=whole(1), help="worker processes for big files (default: CPU count)")
    parser.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)  # for reproducible tests
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour in text output")
    add_target_options(parser)
    parser.set_defaults(run=run)


class UsageError(Exception):
    pass


class Found(NamedTuple):
    path: str
    named: bool  # named on the command line (a pipe such as <(...) is read), or found in a folder


def _collect(paths: list[str]) -> tuple[list[Found], list[OSError]]:
    """The files to check, and the folders that could not be listed."""
    files: list[Found] = []
    unlisted: list[OSError] = []
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            files.append(Found(path, True))
            continue
        for root, dirs, names in os.walk(path, onerror=unlisted.append):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            files.extend(Found(os.path.join(root, name), False) for name in sorted(names)
                         if name.lower().endswith(".jsonl"))
    return files, unlisted


def _settings(args: argparse.Namespace) -> CheckSettings:
    problem = check_env_target(args)
    if problem:
        raise UsageError(problem)
    provider = hosted_provider(args.target, args.provider)
    settings = CheckSettings(model=args.model, method=args.method, epochs=args.epochs, provider=provider,
                             count_tokens=not args.no_tokens, today=args.today,
                             privacy=not args.no_privacy, training_type=args.training_type, **target_settings(args))
    catalog = bundled_catalog(target_info(settings.resolved_target).catalog)
    for extra in args.catalog or ():
        catalog = catalog.with_file(extra)
    settings.catalog = catalog
    return settings


def hosted_provider(target: str | None, provider: str) -> str:
    """--target openai or azure says the provider too (an OpenAI-compatible service stays one)."""
    if target == "azure":
        return "azure"
    if target == "openai" and provider == "azure":
        return "openai"
    return provider


def _check_one(path: str, settings: CheckSettings, args: argparse.Namespace, named: bool = True) -> FileReport:
    """Raises OSError when the file cannot be read; NotRegularFile for a device, or a named
    pipe found in a folder rather than named (it would be waited on for ever)."""
    if path == "-":
        return check_bytes(sys.stdin.buffer.read(), settings, path="-", jobs=args.jobs)
    with open_regular(path, allow_pipe=named) as stream:
        if is_pipe(stream):  # <(...), /dev/stdin: no size to stream by
            return check_bytes(stream.read(), settings, path=path, jobs=args.jobs)
        size = os.fstat(stream.fileno()).st_size
    progress = Progress(path, size) if size >= PROGRESS_MIN_BYTES and sys.stderr.isatty() else None
    try:
        return check_path(path, settings, jobs=args.jobs, progress=progress, use_cache=not args.no_cache)
    finally:
        if progress:
            progress.done()


def run(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
    except (UsageError, CatalogError) as problem:
        print(f"finetune-ls: {problem}", file=sys.stderr)
        return 2
    paths = list(args.paths)
    if not paths:
        if sys.stdin.isatty():
            print("finetune-ls: give a file or folder to check, or - for standard input", file=sys.stderr)
            return 2
        paths = ["-"]
    if paths.count("-") > 1:
        print("finetune-ls: standard input (-) can be checked only once", file=sys.stderr)
        return 2
    files, unlisted = _collect(paths)
    for problem in unlisted:  # a folder that cannot be listed: its files are not checked
        print(f"finetune-ls: cannot read folder {output.printable(problem.filename)}: {problem.strerror or problem}; "
              "its files were skipped", file=sys.stderr)
    only_validation = False
    if args.validation_file:  # checked once, as the validation file, even inside a checked folder
        validation = os.path.realpath(args.validation_file)
        kept = [f for f in files if f.path == "-" or os.path.realpath(f.path) != validation]
        # Only the validation file named (pre-commit passing just the changed file of a pair): check it alone.
        only_validation = bool(files) and not kept
        files = kept
    if not files and not only_validation:
        print("finetune-ls: no .jsonl files found in " + ", ".join(paths), file=sys.stderr)
        return 2

    reports: list[FileReport] = []
    io_problem = bool(unlisted)
    for path, named in files:
        try:
            reports.append(_check_one(path, settings, args, named))
        except OSError as problem:
            io_problem = True
            print(f"finetune-ls: cannot read {output.printable(path)}: {problem.strerror or problem}", file=sys.stderr)
    if args.validation_file:
        validation_settings = CheckSettings(**{**settings.__dict__, "role": VALIDATION})
        try:
            validation = _check_one(args.validation_file, validation_settings, args)
        except OSError as problem:
            io_problem = True
            print(f"finetune-ls: cannot read {output.printable(args.validation_file)}: {problem.strerror or problem}",
                  file=sys.stderr)
        else:
            for report in reports:
                mark_overlap(report, validation)
            reports.append(validation)

    if not args.hints:
        for report in reports:
            report.findings = [f for f in report.findings if f.severity != Severity.HINT]
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    output.write(reports, args.format, sys.stdout, color=color, base=Path.cwd())
    if io_problem:
        return 2
    return 1 if any(report.has_errors for report in reports) else 0
