"""What every command that calls the API shares: the provider options, the client, the
ledger, one-sentence errors, --json output and confirmations."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable

from finetune_ls.api import plain
from finetune_ls.api.connection import PROVIDERS, MissingKey, Provider, connect
from finetune_ls.cli.numbers import real, whole


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection (unset: the SDK's environment variables)")
    group.add_argument("--provider", choices=PROVIDERS, default=os.environ.get("FINETUNE_LS_PROVIDER", "openai"))
    group.add_argument("--base-url", help="an OpenAI-compatible endpoint (default: OPENAI_BASE_URL or OpenAI)")
    group.add_argument("--azure-endpoint", help="Azure OpenAI endpoint, https://NAME.openai.azure.com, with or without "
                                                "/openai/v1 (default: AZURE_OPENAI_ENDPOINT)")
    group.add_argument("--api-version", help="Azure OpenAI: call the dated paths with this api-version, e.g. 2024-10-21 "
                                             "(default: OPENAI_API_VERSION; unset: the v1 API)")
    group.add_argument("--azure-auth", choices=("key", "entra"), default=os.environ.get("FINETUNE_LS_AZURE_AUTH", "key"),
                       help="Azure: an API key (AZURE_OPENAI_API_KEY), or Microsoft Entra ID (DefaultAzureCredential: "
                            "az login, a managed identity, AZURE_CLIENT_ID...; needs finetune-ls[azure])")
    group.add_argument("--deployment", action="append", default=[], metavar="MODEL=DEPLOYMENT",
                       help="Azure OpenAI: the deployment that serves a model, for inference")
    group.add_argument("--organization", help="organization header (default: OPENAI_ORG_ID)")
    group.add_argument("--project", help="project header (default: OPENAI_PROJECT_ID)")
    group.add_argument("--key-file", metavar="FILE", help="a file holding the API key (after OPENAI_API_KEY)")
    group.add_argument("--timeout", type=real(above=0, maximum=86_400), default=600.0,
                       help="seconds per request (default: 600)")
    group.add_argument("--max-retries", type=whole(0, 100), default=2, help="retries of failed requests (default: 2)")
    parser.add_argument("--workspace", default=".", help="where the ledger is kept (.finetune/ledger.jsonl; default: .)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def subcommands(parser: argparse.ArgumentParser):
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    return actions


def action(actions, name: str, helptext: str, run, *, confirm: str | None = None, **defaults):
    """A subcommand that calls the API: its own arguments are added by the caller before
    the connection options; `confirm` adds --yes (what is confirmed without asking)."""
    parser = actions.add_parser(name, help=helptext)
    if confirm:
        parser.add_argument("--yes", action="store_true", help=f"{confirm} without asking (for scripts)")
    parser.set_defaults(run=run, **defaults)
    return parser


def provider_of(args: argparse.Namespace) -> Provider:
    deployments = []
    for item in args.deployment:
        model, sep, deployment = item.partition("=")
        if not sep or not model or not deployment:
            raise ValueError(f"--deployment takes MODEL=DEPLOYMENT, not {item!r}")
        deployments.append((model, deployment))
    return Provider(kind=args.provider, base_url=args.base_url, azure_endpoint=args.azure_endpoint,
                    api_version=args.api_version, azure_auth=args.azure_auth, organization=args.organization, project=args.project,
                    key_file=args.key_file, deployments=tuple(deployments), timeout=args.timeout,
                    max_retries=args.max_retries)


def run_api(args: argparse.Namespace, action: Callable) -> int:
    """Run action(client, ledger); any failure is one sentence on stderr, exit status 1.
    The SDK is imported only here, by the commands that call the API."""
    import openai

    from finetune_ls.api.answers import MalformedAnswer
    from finetune_ls.api.entra import MissingExtra, SignInFailed
    from finetune_ls.api.errors import Cancelled, explain
    from finetune_ls.api.files import CheckFailed
    from finetune_ls.api.ledger import Ledger, LedgerError

    from finetune_ls.api.jobs import JobRefused

    connection = None
    try:
        connection = connect(provider_of(args))
        return action(connection.client, Ledger(args.workspace, warn=fail))
    except (JobRefused, CheckFailed, LedgerError) as refused:
        fail(str(refused))
        return 1
    except (MissingKey, MissingExtra, SignInFailed, Cancelled, openai.OpenAIError, MalformedAnswer,
            json.JSONDecodeError) as error:
        fail(explain(error, *connection.context() if connection else ()))
        return 1
    except ValueError as error:
        fail(explain(error, *connection.context() if connection else ()))
        return 2


def fail(message: str) -> None:
    print(f"finetune-ls: {message}", file=sys.stderr)


def emit(args: argparse.Namespace, value: object, text: str) -> None:
    """JSON for --json, else the text for people."""
    if args.json:
        print(json.dumps(plain(value), ensure_ascii=False, indent=2, sort_keys=True))
    else:
        print(text)


def confirmed(args: argparse.Namespace, question: str) -> bool:
    """--yes, or a yes typed at a terminal; never implied in a script."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        fail(f"{question} Not confirmed: pass --yes to confirm in a script.")
        return False
    answer = input(f"{question} Type yes to confirm: ").strip().lower()
    return answer in ("y", "yes")


def delete_after_asking(args: argparse.Namespace, identifier: str, question: str, delete: Callable[[], bool]) -> int:
    """Ask (or take --yes), delete, and say whether it was deleted."""
    if not confirmed(args, question):
        return 1
    deleted = delete()
    emit(args, {"id": identifier, "deleted": deleted}, f"{identifier} {'deleted' if deleted else 'NOT deleted'}")
    return 0 if deleted else 1
