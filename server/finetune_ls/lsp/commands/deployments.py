"""Deployments on Azure as editor commands: list (from Azure, or offline from the ledger),
create (asks, naming the SKU's hourly cost and lifetime; progress until it serves), delete
(asks, naming its hourly cost), and the SKUs. The management calls run in a thread with a
Microsoft Entra ID token; failures are one sentence shown to the user and returned as
{"error": ...}. Also: which deployment Try Model and inline completion call a fine-tuned
model through."""

from __future__ import annotations

import asyncio
import os
import time

from lsprotocol import types

from finetune_ls.api.errors import Cancelled
from finetune_ls.api.ledger import LedgerError
from finetune_ls.core.catalog import bundled_catalog
from finetune_ls.lsp.wire.arguments import Arguments
from finetune_ls.lsp.commands.operations import _confirm, ledger_for, show_ledger_notes
from finetune_ls.lsp.wire.progress import Progress
from finetune_ls.lsp.server import FinetuneServer, server

LIST, CREATE, DELETE, SKUS = ("finetune.deployments.list", "finetune.deployments.create",
                              "finetune.deployments.delete", "finetune.deployments.skus")
_STEPS = {"requested": 5, "Accepted": 15, "Creating": 40, "Succeeded": 100}


def _catalog():
    return bundled_catalog("azure")


def _resource(ls: FinetuneServer):
    from finetune_ls.api.management import resource_from

    s = ls.settings
    return resource_from(s.azure_subscription, s.azure_resource_group, s.azure_account, s.azure_management_endpoint)


async def run_management(ls: FinetuneServer, work, *, quiet: bool = False):
    """`work(client)` in a thread with a management client for the configured resource;
    its result, or {"error": sentence} (shown to the user unless quiet)."""
    from finetune_ls.api.management import AzureProblem, ManagementClient, management_token

    try:
        resource = _resource(ls)
        client = ManagementClient(resource, management_token(resource, ls.settings.azure_auth),
                                  timeout=min(ls.settings.api_timeout, 120.0))
        try:
            return await asyncio.to_thread(work, client)
        finally:
            client.close()
    except (AzureProblem, LedgerError, Cancelled) as error:
        if not quiet:
            ls.show(f"finetune-ls: {error}", types.MessageType.Error)
        return {"error": str(error)}
    finally:
        show_ledger_notes(ls)


def _failed(result) -> bool:
    return isinstance(result, dict) and "error" in result


@server.command(SKUS)
def skus(ls: FinetuneServer, *args) -> dict:
    from finetune_ls.api.deployments import sku_json

    Arguments(SKUS, args, ())
    return {"skus": [sku_json(sku) for sku in _catalog().deployment_skus.values()]}


@server.command(LIST)
async def list_deployments(ls: FinetuneServer, *args) -> dict:
    """From Azure; offline (or when Azure cannot be asked), from the ledger."""
    from finetune_ls.api import deployments

    offline = Arguments(LIST, args, ("offline",)).flag("offline", False)

    def from_ledger() -> list[dict]:
        account = ls.settings.azure_account or os.environ.get("AZURE_OPENAI_ACCOUNT") or None
        return [d.as_json() for d in deployments.list_offline(ledger_for(ls), account)]

    if not offline:
        listed = await run_management(ls, lambda client: [d.as_json() for d in
                                                          deployments.list_live(client, _catalog())])
        if not _failed(listed):
            return {"deployments": listed, "offline": False}
    try:
        known = await asyncio.to_thread(from_ledger)
    except LedgerError as error:
        return {"error": str(error)}
    finally:
        show_ledger_notes(ls)
    return {"deployments": known, "offline": True, **({} if offline else listed)}


@server.command(CREATE)
async def create_deployment(ls: FinetuneServer, *args) -> dict:
    """Arguments: {model, name?, sku?, capacity?} (or the model alone)."""
    from finetune_ls.api import deployments
    from finetune_ls.api.management import AzureProblem

    given = Arguments(CREATE, args, ("model", "name", "sku", "capacity"))
    model, name = given.text("model"), given.text("name", None)
    capacity = given.integer("capacity", None, 1, 100_000)
    try:
        sku = deployments.sku_of(_catalog(), given.text("sku", None))
        name = deployments.name_for(model, name)
        account = _resource(ls).account
    except AzureProblem as problem:
        ls.show(f"finetune-ls: {problem}", types.MessageType.Error)
        return {"error": str(problem)}
    capacity = capacity or sku.default_capacity or 1
    if not await _confirm(ls, deployments.create_question(model, name, sku, capacity, account), "Deploy"):
        return {"cancelled": True}
    ledger = ledger_for(ls)
    async with Progress(ls, f"Deploying {name}", cancellable=True) as progress:
        def on_state(state: str) -> None:
            progress.report(state, _STEPS.get(state, 60))

        def work(client) -> dict:
            made = deployments.create(client, ledger, _catalog(), model, name, sku.name, capacity,
                                      on_state=on_state, on_accepted=lambda d: on_state(d.state or "Accepted"),
                                      cancelled=progress.cancelled)
            return {"deployment": made.as_json()}

        return await run_management(ls, work)


@server.command(DELETE)
async def delete_deployment(ls: FinetuneServer, *args) -> dict:
    from finetune_ls.api import deployments

    name = Arguments(DELETE, args, ("name",)).text("name")
    found = await run_management(ls, lambda client: deployments.described(client, _catalog(), name))
    if _failed(found):
        return found
    if found is None:
        problem = f"There is no deployment named {name} (the Deployments view lists them)."
        ls.show(f"finetune-ls: {problem}", types.MessageType.Warning)
        return {"error": problem}
    if not await _confirm(ls, deployments.delete_question(found), f"Delete {name}"):
        return {"cancelled": True}
    async with Progress(ls, f"Deleting {name}", cancellable=True) as progress:
        def work(client) -> dict:
            deleted = deployments.delete(client, ledger_for(ls), name, cancelled=progress.cancelled,
                                         on_state=lambda state: progress.report(state, 50))
            return {"name": name, "deleted": deleted}

        return await run_management(ls, work)


# Ghost text may ask for a model's deployment at every keystroke: Azure's answer (or the
# lack of one) is reused this long for it, so typing does not become a stream of sign-ins
# and management calls (which Azure throttles).
LOOKUP_MEMORY_SECONDS = 60.0


async def _asked_of_azure(ls: FinetuneServer, key: tuple, find, quiet: bool) -> str | dict:
    """The management API's answer for (account, model): for ghost text (quiet) the one
    given in the last LOOKUP_MEMORY_SECONDS if any; Try Model always asks anew."""
    recent = ls.deployment_lookups.get(key)
    if quiet and recent is not None and time.monotonic() - recent[0] < LOOKUP_MEMORY_SECONDS:
        return recent[1]
    found = await run_management(ls, find, quiet=quiet)
    ls.deployment_lookups[key] = (time.monotonic(), found)
    return found


async def deployment_to_call(ls: FinetuneServer, model: str, *, quiet: bool = False) -> str | dict:
    """What Try Model and inline completion name as the model: on Azure, the deployment of
    a fine-tuned model (azureDeployments, else the ledger, else Azure's list when the
    resource is set); {"error": sentence} when it has none."""
    from finetune_ls.api import deployments
    from finetune_ls.api.management import AzureProblem, MissingResource

    provider = ls.settings.provider_config()
    if provider.kind != "azure":
        return model
    try:
        account = _resource(ls).account
        configured = True
    except MissingResource:  # the endpoint's name, so another resource's deployments are not taken
        account, configured = provider.azure_account(), False
    ledger = ledger_for(ls)

    def find(client=None) -> str:
        lookup = (lambda: deployments.list_live(client, _catalog())) if client is not None else None
        return deployments.deployment_for(model, ledger, dict(provider.deployments), lookup,
                                          account)

    try:  # the given ones and the ledger first: no sign-in needed
        return await asyncio.to_thread(find)
    except deployments.NotDeployed as problem:
        if configured:
            return await _asked_of_azure(ls, (account, model), find, quiet)
        failure = problem
    except (AzureProblem, LedgerError) as problem:
        failure = problem
    finally:
        show_ledger_notes(ls)
    if not quiet:
        ls.show(f"finetune-ls: {failure}", types.MessageType.Error)
    return {"error": str(failure)}
