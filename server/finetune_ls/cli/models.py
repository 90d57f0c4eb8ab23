"""`finetune-ls models list|delete` and `finetune-ls complete`."""

from __future__ import annotations

import argparse
import json
import sys
import time

from finetune_ls.cli import connect
from finetune_ls.cli.azure_resource import add_resource_options, deployment_to_call
from finetune_ls.cli.numbers import whole
from finetune_ls.core.catalog import bundled_catalog


def add_parser(commands) -> None:
    parser = commands.add_parser("models", help="list and delete fine-tuned models")
    actions = connect.subcommands(parser)
    listing = connect.action(actions, "list", "fine-tuned models, with their base model and shutdown date", run_list)
    delete = connect.action(actions, "delete", "delete a fine-tuned model (asks first, naming it)", run_delete,
                            confirm="delete")
    delete.add_argument("model_id", metavar="MODEL")
    for sub in (listing, delete):
        connect.add_options(sub)

    trial = commands.add_parser("complete", help="try a (fine-tuned) model on an example line",
                                description="Send an example's conversation up to its last assistant turn "
                                            "(or its prompt) to a model, and show its answer beside the expected one.")
    trial.add_argument("model", metavar="MODEL")
    trial.add_argument("path", metavar="PATH", help="a JSONL file, or - for standard input")
    trial.add_argument("--line", type=whole(1), default=1, help="the example's line number (default: 1)")
    trial.add_argument("--max-tokens", type=whole(1))
    connect.add_options(trial)
    add_resource_options(trial)  # Azure: where the fine-tuned model's deployment is looked up
    trial.set_defaults(run=run_complete)


def run_list(args: argparse.Namespace) -> int:
    from finetune_ls.api import models

    def action(client, ledger) -> int:
        found = models.list_fine_tuned(client, bundled_catalog(args.provider))
        rows = [f"{m.id}  base {m.base}  made {time.strftime('%Y-%m-%d', time.gmtime(m.created))}"
                + (f"  shuts down {m.shutdown_date}" if m.shutdown_date else "") for m in found]
        connect.emit(args, [m.__dict__ for m in found], "\n".join(rows) or "no fine-tuned models")
        return 0

    return connect.run_api(args, action)


def run_delete(args: argparse.Namespace) -> int:
    from finetune_ls.api import models

    def action(client, ledger) -> int:
        return connect.delete_after_asking(args, args.model_id, f"Delete the model {args.model_id}? It cannot be undone.",
                                           lambda: models.delete_model(client, args.model_id, ledger))

    return connect.run_api(args, action)


def run_complete(args: argparse.Namespace) -> int:
    from finetune_ls.api import complete

    try:
        handle = sys.stdin if args.path == "-" else open(args.path, encoding="utf-8")
        with handle:
            line = next((text for number, text in enumerate(handle, 1) if number == args.line), None)
        if line is None:
            connect.fail(f"{args.path} has no line {args.line}.")
            return 2
        example = json.loads(line)
        if not isinstance(example, dict):
            raise ValueError("not a JSON object")
        complete.split_example(example)
    except OSError as error:
        connect.fail(f"{args.path}: {error.strerror}")
        return 2
    except ValueError as error:
        connect.fail(f"line {args.line} of {args.path} cannot be sent: {error}")
        return 2

    target = _deployment(args)
    if target is None:
        return 1

    def action(client, ledger) -> int:
        trial = complete.try_model(client, target, example, args.max_tokens)
        connect.emit(args, trial.__dict__, f"expected: {trial.expected}\nanswer:   {trial.answer}\n"
                                           f"({trial.prompt_tokens} prompt + {trial.completion_tokens} completion tokens)")
        return 0

    return connect.run_api(args, action)


def _deployment(args: argparse.Namespace) -> str | None:
    """What the completion names as its model (on Azure, the model's deployment); None
    after saying why there is none."""
    from finetune_ls.api.ledger import LedgerError
    from finetune_ls.api.management import AzureProblem

    try:
        provider = connect.provider_of(args)
        target = deployment_to_call(args, provider, args.model)
    except (AzureProblem, LedgerError) as problem:
        connect.fail(str(problem))
        return None
    except ValueError as problem:  # a malformed --deployment
        connect.fail(str(problem))
        return None
    if target != args.model and args.model not in dict(provider.deployments):  # found, not given: say which
        print(f"finetune-ls: {args.model} is called through the deployment {target}", file=sys.stderr)
    return target
