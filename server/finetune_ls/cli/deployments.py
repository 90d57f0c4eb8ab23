"""`finetune-ls deployments create|list|delete|skus`: deployments of fine-tuned models and
checkpoints on Azure, through its management API (Microsoft Entra ID sign-in)."""

from __future__ import annotations

import argparse
import os
import sys

from finetune_ls.cli import connect
from finetune_ls.cli.azure_resource import add_resource_options, client_of, resource_of
from finetune_ls.cli.numbers import real, whole
from finetune_ls.core.catalog import bundled_catalog


def add_parser(commands) -> None:
    parser = commands.add_parser("deployments", help="deploy fine-tuned models on Azure, list and delete deployments",
                                 description="Deployments of fine-tuned models and checkpoints on Azure OpenAI, made "
                                             "through Azure's management API with Microsoft Entra ID sign-in. Each "
                                             "one is written to the ledger before it is reported: it bills by the "
                                             "hour.")
    actions = connect.subcommands(parser)
    create = connect.action(actions, "create", "deploy a fine-tuned model or checkpoint (asks first, naming its "
                                               "hourly cost)", run_create, confirm="deploy")
    create.add_argument("model", metavar="MODEL", help="a fine-tuned model id, or a checkpoint id (ftchkpt-...)")
    create.add_argument("--name", help="the deployment's name (default: made from the model id)")
    create.add_argument("--sku", default="Developer", help="Standard, GlobalStandard or Developer (default: Developer: "
                                                           "no hosting fee, deleted after 24 hours)")
    create.add_argument("--capacity", type=whole(1, 100_000), help="the SKU's capacity (default: the SKU's)")
    create.add_argument("--no-wait", action="store_true", help="return once Azure accepted it, without waiting "
                                                               "until it serves")
    listing = connect.action(actions, "list", "the resource's deployments, with their SKU, state and hourly cost",
                             run_list)
    listing.add_argument("--offline", action="store_true", help="from the ledger, without calling Azure (deleted "
                                                                "ones marked)")
    delete = connect.action(actions, "delete", "delete a deployment (asks first, naming its hourly cost)", run_delete,
                            confirm="delete")
    delete.add_argument("name", metavar="NAME")
    skus = connect.action(actions, "skus", "the deployment SKUs: hourly cost and how long they live", run_skus)
    for sub in (create, listing, delete, skus):
        add_resource_options(sub)
        sub.add_argument("--azure-auth", choices=("key", "entra"),
                         default=os.environ.get("FINETUNE_LS_AZURE_AUTH", "key"),
                         help="how the data plane signs in; the management API always needs Microsoft Entra ID")
        sub.add_argument("--timeout", type=real(above=0, maximum=86_400), default=60.0,
                         help="seconds per request (default: 60)")
        sub.add_argument("--workspace", default=".", help="where the ledger is kept (default: .)")
        sub.add_argument("--json", action="store_true", help="print JSON for scripts")


def _run(args: argparse.Namespace, action) -> int:
    """action(ledger) with every failure as one sentence on stderr (exit status 1)."""
    from finetune_ls.api.errors import Cancelled
    from finetune_ls.api.ledger import Ledger, LedgerError
    from finetune_ls.api.management import AzureProblem

    try:
        return action(Ledger(args.workspace, warn=connect.fail))
    except (AzureProblem, LedgerError, Cancelled) as error:
        connect.fail(str(error))
        return 1


def _state_line(name: str):
    def tell(state: str) -> None:
        print(f"finetune-ls: {name}: {state}", file=sys.stderr, flush=True)
    return tell


def _describe(deployment) -> str:
    cost = "" if deployment.hourly_usd is None else \
        ("no hosting fee" if deployment.hourly_usd == 0 else f"${deployment.hourly_usd:,.2f}/h")
    parts = [deployment.name, deployment.model or "?", deployment.sku or "?",
             f"capacity {deployment.capacity}" if deployment.capacity is not None else "",
             deployment.state or "?", cost, f"expires {deployment.expires}" if deployment.expires else ""]
    return "  ".join(part for part in parts if part)


def run_create(args: argparse.Namespace) -> int:
    from finetune_ls.api import deployments

    catalog = bundled_catalog("azure")

    def action(ledger) -> int:
        sku = deployments.sku_of(catalog, args.sku)
        name = deployments.name_for(args.model, args.name)
        capacity = args.capacity or sku.default_capacity or 1
        resource = resource_of(args)
        if not connect.confirmed(args, deployments.create_question(args.model, name, sku, capacity, resource.account)):
            return 1
        with client_of(args, args.azure_auth) as client:
            made = deployments.create(
                client, ledger, catalog, args.model, name, sku.name, capacity, wait=not args.no_wait,
                on_state=_state_line(name),
                on_accepted=lambda accepted: print(f"finetune-ls: {accepted.name} accepted by Azure ({accepted.state}; "
                                                   "in the ledger)" + ("" if args.no_wait else
                                                                       ", waiting until it serves"),
                                                   file=sys.stderr, flush=True))
        note = "" if made.state == "Succeeded" else " (not serving yet: `finetune-ls deployments list` shows its state)"
        connect.emit(args, made.as_json(), _describe(made) + note)
        return 0

    return _run(args, action)


def run_list(args: argparse.Namespace) -> int:
    from finetune_ls.api import deployments

    def action(ledger) -> int:
        if args.offline:
            account = args.account or os.environ.get("AZURE_OPENAI_ACCOUNT") or None
            found = deployments.list_offline(ledger, account)
        else:
            with client_of(args, args.azure_auth) as client:
                found = deployments.list_live(client, bundled_catalog("azure"))
        connect.emit(args, {"deployments": [d.as_json() for d in found], "offline": args.offline},
                     "\n".join(_describe(d) for d in found) or "no deployments")
        return 0

    return _run(args, action)


def run_delete(args: argparse.Namespace) -> int:
    from finetune_ls.api import deployments

    def action(ledger) -> int:
        with client_of(args, args.azure_auth) as client:
            found = deployments.described(client, bundled_catalog("azure"), args.name)
            if found is None:
                connect.fail(f"{client.resource.account} has no deployment named {args.name} "
                             "(`finetune-ls deployments list` shows them).")
                return 1
            if not connect.confirmed(args, deployments.delete_question(found)):
                return 1
            deleted = deployments.delete(client, ledger, args.name, on_state=_state_line(args.name))
        connect.emit(args, {"name": args.name, "deleted": deleted},
                     f"{args.name} {'deleted' if deleted else 'is still being deleted'}")
        return 0 if deleted else 1

    return _run(args, action)


def run_skus(args: argparse.Namespace) -> int:
    from finetune_ls.api import deployments

    skus = list(bundled_catalog("azure").deployment_skus.values())
    connect.emit(args, {"skus": [deployments.sku_json(sku) for sku in skus]},
                 "\n".join(f"{sku.name}: {deployments.cost_words(sku)}"
                           + (f" (Azure's price of {sku.price_as_of})" if sku.price_as_of else "") for sku in skus))
    return 0

