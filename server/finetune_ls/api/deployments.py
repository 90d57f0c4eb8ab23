"""Deployments of fine-tuned models and checkpoints on Azure: made, listed and deleted
through the management API (api/management.py). A deployment bills by the hour while it
exists, so its name is in the ledger before the create is sent ("requested"), again once
Azure accepted it, and its deletion too; `deployments list --offline` reads them back.

A create is a PUT of the deployment's name, which is idempotent: when its answer is lost,
the name is looked up, and the PUT is sent again only when no deployment of that name
shows; a name already serving another model is never overwritten."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from finetune_ls.api import management
from finetune_ls.api.ledger import Ledger
from finetune_ls.api.management import AzureProblem, ManagementClient, provisioning_state
from finetune_ls.core.catalog import DeploymentSku, ModelCatalog

DEFAULT_SKU = "Developer"  # no hosting fee, gone after 24 hours: the cheapest way to try a model
PUT_ATTEMPTS = 3
# Seconds to look a lost create up by its name before sending it again (tests shorten it).
SETTLE_SECONDS = float(os.environ.get("FINETUNE_LS_DEPLOY_SETTLE_SECONDS", "30"))
GONE = ("deleted", "refused")  # ledger states of a name that holds no deployment
_FINE_TUNED = re.compile(r"^ft:|\.ft-[0-9a-f]{6,}|^ftchkpt-", re.I)


class DeploymentRefused(AzureProblem):
    """The deployment cannot be made as asked; nothing was sent."""


class DeploymentFailed(AzureProblem):
    """Azure accepted the deployment, but it did not come to serve (or was refused)."""


class NotDeployed(AzureProblem):
    """A fine-tuned model has no deployment to call it through."""


@dataclass
class Deployment:
    name: str
    model: str | None
    sku: str | None
    capacity: int | None
    state: str | None  # provisioningState; in the ledger also "requested", "refused" or "deleted"
    hourly_usd: float | None
    expires: str | None  # ISO 8601, for a Developer deployment (24 hours after it was made)
    source: str  # "azure" or "ledger"

    def as_json(self) -> dict:
        return {"name": self.name, "model": self.model, "sku": self.sku, "capacity": self.capacity,
                "state": self.state, "hourlyUsd": self.hourly_usd, "expires": self.expires, "source": self.source}

    @property
    def serving(self) -> bool:
        return self.state == "Succeeded" and not _past(self.expires)


def is_fine_tuned(model: str) -> bool:
    """A fine-tuned model or checkpoint id (Azure's `base.ft-<hex>`, `ftchkpt-<hex>`, OpenAI's `ft:`)."""
    return bool(_FINE_TUNED.search(model))


def default_name(model: str) -> str:
    """A deployment name for the model: letters, digits, - and _, at most 64 characters,
    keeping the id's unique end (`gpt-4.1-mini-2025-04-14.ft-0a1b…` -> `gpt-4.1-mini-2025-04-14-ft-0a1b2c3d4e5f`)."""
    base, dot, tail = model.partition(".ft-")
    if dot:
        model = f"{base}-ft-{tail[:12]}"
    elif model.startswith("ftchkpt-"):
        model = model[:20]
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", model.replace(".", "-")).strip("-_") or "fine-tuned"
    return name if len(name) <= 64 else f"{name[:20]}-{name[-43:]}"


# Azure's rule for resource names (the management spec's accountName pattern); deployment
# names get none in the spec, so the same one is asked of them before anything is asked or sent.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,63}")


def name_for(model: str, name: str | None) -> str:
    """The deployment's name: the one given, checked, else one made from the model."""
    if name is None:
        return default_name(model)
    if not _NAME.fullmatch(name):
        raise DeploymentRefused(f"{name!r} cannot name a deployment: use 2 to 64 letters, digits, '.', '-' or '_', "
                                "starting with a letter or digit.")
    return name


def sku_of(catalog: ModelCatalog, name: str | None) -> DeploymentSku:
    sku = catalog.deployment_sku(name or DEFAULT_SKU)
    if sku is None:
        known = ", ".join(catalog.deployment_skus) or "none in the catalog"
        raise DeploymentRefused(f"Unknown deployment SKU {name!r}: use one of {known}.")
    return sku


def cost_words(sku: DeploymentSku) -> str:
    """What the SKU costs and how long it lives, as the confirmation says it."""
    fee = ("no hosting fee" if sku.hourly_usd == 0 else f"${sku.hourly_usd:,.2f} per hour while it is deployed"
           if sku.hourly_usd is not None else "an hourly fee not in the catalog")
    life = []
    if sku.lifetime_hours:
        life.append(f"deleted by Azure {sku.lifetime_hours:g} hours after it is made")
    if sku.inactive_delete_days:
        life.append(f"deleted after {sku.inactive_delete_days} days without calls")
    return fee + ", plus tokens" + (f"; {' and '.join(life)}" if life else "")


def sku_json(sku: DeploymentSku) -> dict:
    return {"name": sku.name, "hourlyUsd": sku.hourly_usd, "lifetimeHours": sku.lifetime_hours,
            "inactiveDeleteDays": sku.inactive_delete_days, "note": sku.note, "priceAsOf": sku.price_as_of}


def create_question(model: str, name: str, sku: DeploymentSku, capacity: int, account: str) -> str:
    return (f"Deploy {model} as {name} on {account} with the {sku.name} SKU (capacity {capacity})? "
            f"It costs {cost_words(sku)}.")


def delete_question(deployment: Deployment) -> str:
    fee = "" if deployment.hourly_usd is None else \
        (" It has no hosting fee." if deployment.hourly_usd == 0 else
         f" It costs ${deployment.hourly_usd:,.2f} per hour while it stays.")
    what = f"{deployment.model or 'unknown model'}, {deployment.sku or '?'} SKU"
    return f"Delete the deployment {deployment.name} ({what})?{fee}"


def request_body(model: str, sku: DeploymentSku, capacity: int) -> dict:
    return {"sku": {"name": sku.api_name, "capacity": capacity},
            "properties": {"model": {"format": "OpenAI", "name": model, "version": "1"}}}


def from_arm(item: dict, catalog: ModelCatalog) -> Deployment:
    """A deployment as the management API gives it."""
    properties = _object(item.get("properties"))
    model, sku_body = _text(_object(properties.get("model")).get("name")), _object(item.get("sku"))
    sku_name = _text(sku_body.get("name"))
    sku = catalog.deployment_sku(sku_name) if sku_name else None
    created = _text(_object(item.get("systemData")).get("createdAt"))
    capacity = sku_body.get("capacity")
    return Deployment(_text(item.get("name")) or "", model, sku.name if sku else sku_name,
                      capacity if isinstance(capacity, int) and not isinstance(capacity, bool) else None,
                      provisioning_state(item), sku.hourly_usd if sku else None, _expiry(sku, created), "azure")


def _object(value: object) -> dict:
    """A part of an answer that should be an object ({} when it is not: answers of another
    shape are read as far as they go, never trusted to be what the spec says)."""
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _expiry(sku: DeploymentSku | None, created: str | None) -> str | None:
    if sku is None or not sku.lifetime_hours or not created:
        return None
    try:
        made = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    made = made if made.tzinfo else made.replace(tzinfo=timezone.utc)
    return (made + timedelta(hours=sku.lifetime_hours)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _past(iso: str | None) -> bool:
    return bool(iso) and iso < time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---------------------------------------------------------------- create
def create(client: ManagementClient, ledger: Ledger, catalog: ModelCatalog, model: str, name: str | None = None,
           sku_name: str | None = None, capacity: int | None = None, *, wait: bool = True,
           on_state: Callable[[str], None] | None = None, on_accepted: Callable[[Deployment], None] | None = None,
           cancelled: Callable[[], bool] | None = None, settle: float | None = None) -> Deployment:
    """Deploy the model (or checkpoint) and, unless `wait` is off, wait until it serves.
    `on_accepted` hears of the deployment once Azure took it (it is in the ledger then)."""
    sku = sku_of(catalog, sku_name)
    capacity_given = capacity is not None
    capacity = capacity or sku.default_capacity or 1
    name = name or default_name(model)
    account = client.resource.account
    ledger.ensure_writable()  # before a call that bills, not after it
    try:
        existing = client.get_deployment(name)
    except AzureProblem as problem:  # nothing was made (a look-up only): the ledger needs no entry
        raise DeploymentFailed(f"The deployment {name} of {model} was not made: {problem}") from None
    if existing is not None:
        serving = from_arm(existing, catalog)
        if serving.model != model:
            raise DeploymentRefused(f"A deployment named {name} already exists on {account}, serving "
                                    f"{serving.model or 'another model'}: choose another --name, or delete it first.")
        if serving.sku != sku.name or (capacity_given and serving.capacity != capacity):
            # Reported as asked, it would hide what really bills (say Standard at $1.70/h for a Developer asked).
            known = catalog.deployment_sku(serving.sku) if serving.sku else None
            raise DeploymentRefused(
                f"{name} already serves {model} on {account} with the {serving.sku or 'unknown'} SKU (capacity "
                f"{serving.capacity or '?'}{'; ' + cost_words(known) if known else ''}); it was left as it is: "
                f"delete it first to deploy it as {sku.name}, or choose another --name.")
        sku, capacity = catalog.deployment_sku(serving.sku) or sku, serving.capacity or capacity
    fields = dict(model=model, sku=sku.name, capacity=capacity, account=account,
                  resource_group=client.resource.resource_group, hourly_usd=sku.hourly_usd)
    ledger.record("deployment", name, state="requested", **fields)
    try:
        answer = existing if existing is not None else _put(client, name, request_body(model, sku, capacity),
                                                            settle)
    except management.ManagementError as refused:  # no deployment was made
        ledger.record("deployment", name, state="refused", error=refused.code, **fields)
        raise DeploymentFailed(f"The deployment {name} of {model} was not made: {refused}") from None
    except AzureProblem as error:  # unanswered, or no token: the ledger keeps the name as requested
        raise DeploymentFailed(f"The deployment {name} of {model}: {error}") from None
    accepted = from_arm(answer, catalog) if isinstance(answer, dict) else None
    state = (accepted.state if accepted else None) or "Accepted"
    made_at = None if existing is None else _text(_object(existing.get("systemData")).get("createdAt"))
    made = Deployment(name, model, sku.name, capacity, state, sku.hourly_usd,
                      _expiry(sku, made_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())), "azure")
    ledger.record("deployment", name, state=state, expires=made.expires, **fields)
    if on_accepted is not None:
        on_accepted(made)
    if not wait or state in management.ENDED:
        return _ended(ledger, client, made, answer if isinstance(answer, dict) else None, fields)
    final = management.wait_until_ended(client, name, on_state=on_state, cancelled=cancelled,
                                        first_wait=client.first_poll)
    if final is None:
        ledger.record("deployment", name, state="deleted", **fields)
        raise DeploymentFailed(f"The deployment {name} of {model} disappeared while it was being made "
                               "(deleted meanwhile?); nothing bills for it now.")
    made.state = provisioning_state(final) or made.state
    return _ended(ledger, client, made, final, fields)


def _ended(ledger: Ledger, client: ManagementClient, made: Deployment, final: dict | None, fields: dict) -> Deployment:
    if made.state in management.ENDED:
        ledger.record("deployment", made.name, state=made.state, expires=made.expires, **fields)
    if made.state in ("Failed", "Canceled"):
        why = client.operation_error(client.last_operation_url)
        raise DeploymentFailed(f"The deployment {made.name} of {made.model} ended {made.state}"
                               + (f' (Azure said: "{why}")' if why else "")
                               + f"; it still exists: delete it with `finetune-ls deployments delete {made.name}`, "
                               "then try another SKU or region.")
    return made


def _put(client: ManagementClient, name: str, body: dict, settle: float | None) -> dict:
    """The PUT, sent again only when its answer was lost and no deployment of the name shows."""
    settle = SETTLE_SECONDS if settle is None else settle
    for attempt in range(PUT_ATTEMPTS):
        try:
            answer = client.put_deployment(name, body)
        except management.Unanswered as lost:
            found = _look_up(client, name, settle if lost.sent else 0)
            if found is not None:
                return found
            if attempt + 1 == PUT_ATTEMPTS:
                raise DeploymentFailed(f"{lost} No answer came to any of {PUT_ATTEMPTS} attempts and no deployment "
                                       f"named {name} showed; it may still appear: `finetune-ls deployments list` "
                                       "shows it (the ledger has its name).") from None
            time.sleep(min(4.0, 0.5 * 2 ** attempt))
            continue
        client.last_operation_url = answer.headers.get("azure-asyncoperation") or answer.headers.get("location")
        client.first_poll = management.retry_after(answer.headers, management.POLL_SECONDS) \
            if "retry-after" in answer.headers else None
        return answer.body if isinstance(answer.body, dict) else {}
    raise AssertionError("unreachable")


def _look_up(client: ManagementClient, name: str, settle: float) -> dict | None:
    deadline = time.monotonic() + settle
    pause = 0.25
    while True:
        try:
            found = client.get_deployment(name)
        except AzureProblem:
            found = None
        left = deadline - time.monotonic()
        if found is not None or left <= 0:
            return found
        time.sleep(min(pause, left))
        pause = min(pause * 1.5, 3.0)


# ---------------------------------------------------------------- list, delete
def list_live(client: ManagementClient, catalog: ModelCatalog) -> list[Deployment]:
    return [from_arm(item, catalog) for item in client.list_deployments()]


def list_offline(ledger: Ledger, account: str | None = None) -> list[Deployment]:
    """The deployments the ledger knows (of the account, when given), each as last recorded:
    deleted or refused ones marked so."""
    latest: dict[tuple[str | None, str], dict] = {}
    for entry in ledger.entries():
        kind = entry.get("kind")
        if kind not in ("deployment", "deployment-deleted"):
            continue
        if account and entry.get("account") not in (None, account):  # another resource's
            continue
        key = (entry.get("account"), entry["id"])
        if kind == "deployment-deleted":
            latest[key] = {**latest.get(key, {}), "state": "deleted", "id": entry["id"]}
        else:
            latest[key] = {**latest.get(key, {}), **entry}
    return [Deployment(entry["id"], entry.get("model"), entry.get("sku"), entry.get("capacity"), entry.get("state"),
                       entry.get("hourly_usd"), entry.get("expires"), "ledger") for entry in latest.values()]


def described(client: ManagementClient, catalog: ModelCatalog, name: str) -> Deployment | None:
    found = client.get_deployment(name)
    return from_arm(found, catalog) if found is not None else None


def delete(client: ManagementClient, ledger: Ledger, name: str, *, on_state: Callable[[str], None] | None = None,
           cancelled: Callable[[], bool] | None = None) -> bool:
    """Delete the deployment and record it; True once Azure no longer has it (a delete it
    answered 202 is followed until the name is gone)."""
    ledger.ensure_writable()
    answer = client.delete_deployment(name)
    if answer.status == 202:
        first = management.retry_after(answer.headers, management.POLL_SECONDS) if "retry-after" in answer.headers \
            else None
        if management.wait_until_ended(client, name, first_wait=first, on_state=on_state, cancelled=cancelled) \
                is not None:
            ledger.record("deployment", name, state="Deleting", account=client.resource.account)
            return False
    ledger.record("deployment-deleted", name, account=client.resource.account,
                  **({"note": "no such deployment"} if answer.status == 404 else {}))
    return True


# ---------------------------------------------------------------- finding one to call
def deployment_for(model: str, ledger: Ledger, mapped: dict[str, str], lookup: Callable[[], list[Deployment]] | None,
                   account: str | None = None) -> str:
    """The deployment to call a model through on Azure: the one given (--deployment,
    azureDeployments), else the ledger's serving deployment of the model, else one the
    management API lists (`lookup`, when the resource is known); NotDeployed otherwise.
    A name that is no fine-tuned model id is taken as a deployment name already."""
    if model in mapped:
        return mapped[model]
    if not is_fine_tuned(model):
        return model
    known = [d for d in list_offline(ledger, account) if d.model == model and d.serving]
    if known:
        return known[-1].name
    if lookup is not None:
        listed = [d for d in lookup() if d.model == model]
        serving = [d for d in listed if d.state == "Succeeded"]
        if serving:
            return serving[0].name
        if listed:
            raise NotDeployed(f"{model}'s deployment {listed[0].name} is {listed[0].state or 'not ready'}, not "
                              "serving yet: wait for it (`finetune-ls deployments list` shows its state).")
    raise NotDeployed(f"{model} has no deployment to call it through on Azure: deploy it first "
                      f"(`finetune-ls deployments create {model}`), or name one (--deployment {model}=NAME, or "
                      "the azureDeployments setting).")
