"""The `finetune-ls` command."""

from __future__ import annotations

import argparse
import os
import sys

from finetune_ls import __version__
from finetune_ls.cli import check, convert, deployments, files, hygiene, jobs, models, serve


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        """A usage problem: one line on stderr and exit status 2 (argparse prints the whole usage)."""
        self.exit(2, f"finetune-ls: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="finetune-ls", description="Check and run OpenAI fine-tuning data from the editor and CI.")
    parser.add_argument("--version", action="version", version=f"finetune-ls {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    check.add_parser(commands)
    convert.add_parser(commands)
    hygiene.add_parsers(commands)
    files.add_parser(commands)
    jobs.add_parser(commands)
    models.add_parser(commands)
    deployments.add_parser(commands)
    serve.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("finetune-ls: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # noqa: BLE001 - a bug: one line, not a traceback, unless asked
        if os.environ.get("FINETUNE_LS_DEBUG"):
            raise
        print(f"finetune-ls: internal error ({type(error).__name__}: {error}); please report it "
              "(FINETUNE_LS_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
