"""The management-API client and the deployment look-up, called in-process against the fake
management API over loopback HTTP, signed in through the fake Entra ID (the real
azure-identity): where the resource comes from, stopping a wait, a token echoed back by
the service, and which deployment a fine-tuned model is called through."""

from __future__ import annotations

import pytest

from finetune_ls.api import deployments, management
from finetune_ls.api.connection import Provider
from finetune_ls.api.errors import Cancelled
from finetune_ls.api.ledger import Ledger
from finetune_ls.api.management import AzureResource, ManagementClient, MissingResource, resource_from
from finetune_ls.core.catalog import bundled_catalog

MODEL = "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef"


@pytest.fixture
def client(fake_management):
    resource = AzureResource(fake_management.subscription, fake_management.resource_group, fake_management.account,
                             fake_management.endpoint)
    with ManagementClient(resource, management.management_token(resource, "entra"), timeout=10) as made:
        yield made


def test_the_resource_comes_from_flags_then_the_environment():
    environ = {"AZURE_SUBSCRIPTION_ID": "sub-env", "AZURE_RESOURCE_GROUP": "rg-env", "AZURE_OPENAI_ACCOUNT": "acc-env"}
    assert resource_from("sub-flag", None, None, None, environ) == AzureResource(
        "sub-flag", "rg-env", "acc-env", "https://management.azure.com")
    sovereign = resource_from(None, None, None, "https://management.chinacloudapi.cn/", environ)
    assert sovereign.management_endpoint == "https://management.chinacloudapi.cn"
    with pytest.raises(MissingResource, match="must be an https:// URL"):  # the token would travel in clear
        resource_from(None, None, None, "http://management.example.com", environ)
    with pytest.raises(MissingResource) as missing:
        resource_from(None, "rg", None, None, {})
    sentence = str(missing.value)
    assert "--subscription" in sentence and "azureSubscription" in sentence and "AZURE_SUBSCRIPTION_ID" in sentence
    assert "--account" in sentence and "AZURE_OPENAI_ACCOUNT" in sentence and "--resource-group" not in sentence


def test_a_stopped_wait_names_the_deployment_which_goes_on(client, fake_management, tmp_path):
    ledger = Ledger(str(tmp_path))
    with pytest.raises(Cancelled, match="waiting for the deployment stop-ft"):
        deployments.create(client, ledger, bundled_catalog("azure"), MODEL, "stop-ft", cancelled=lambda: True)
    assert fake_management.state_of("stop-ft") == "Creating"
    assert [entry["state"] for entry in ledger.entries("deployment")] == ["requested", "Creating"]


def test_a_token_echoed_back_by_the_service_is_redacted(client, fake_management, tmp_path):
    fake_management.refuse_next_put(400, "InvalidRequest", f"bad token {fake_management.expected_token} here")
    with pytest.raises(deployments.DeploymentFailed) as refused:
        deployments.create(client, Ledger(str(tmp_path)), bundled_catalog("azure"), MODEL, "echo-ft")
    assert fake_management.expected_token not in str(refused.value) and "[redacted key]" in str(refused.value)


def test_a_fine_tuned_model_is_called_through_its_serving_deployment(client, fake_management, tmp_path):
    ledger = Ledger(str(tmp_path))
    catalog = bundled_catalog("azure")
    assert deployments.deployment_for("gpt-4.1-mini", ledger, {}, None) == "gpt-4.1-mini"  # a deployment name already
    assert deployments.deployment_for(MODEL, ledger, {MODEL: "given"}, None) == "given"
    with pytest.raises(deployments.NotDeployed, match=f"deployments create {MODEL}"):
        deployments.deployment_for(MODEL, ledger, {}, None)
    # An expired Developer deployment in the ledger is passed over; Azure's list is asked.
    ledger.record("deployment", "old-ft", state="Succeeded", model=MODEL, sku="Developer",
                  account=fake_management.account, expires="2000-01-01T00:00:00Z")
    deployments.create(client, Ledger(str(tmp_path / "elsewhere")), catalog, MODEL, "live-ft")
    assert deployments.deployment_for(MODEL, ledger, {}, lambda: deployments.list_live(client, catalog),
                                      fake_management.account) == "live-ft"
    deployments.create(client, ledger, catalog, MODEL, "mine-ft")
    assert deployments.deployment_for(MODEL, ledger, {}, None, fake_management.account) == "mine-ft"


@pytest.mark.parametrize("model, name", [
    (MODEL, "gpt-4-1-mini-2025-04-14-ft-0123456789ab"),
    ("ftchkpt-0123456789abcdef0123456789abcdef", "ftchkpt-0123456789ab"),
    ("ft:gpt-4o-mini-2024-07-18:org:demo:abc", "ft-gpt-4o-mini-2024-07-18-org-demo-abc"),
])
def test_the_default_name_is_made_from_the_model(model, name):
    assert deployments.default_name(model) == name


def test_without_a_resource_the_endpoints_name_picks_the_ledgers_deployment(tmp_path):
    """No subscription/resource group/account set: the ledger's deployments of the model on
    another resource are not taken for this endpoint's."""
    ledger = Ledger(str(tmp_path))
    model = "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef"
    ledger.record("deployment", "mine-ft", model=model, account="mine", sku="Developer", state="Succeeded")
    ledger.record("deployment", "theirs-ft", model=model, account="theirs", sku="Developer", state="Succeeded")
    for endpoint, account in (("https://mine.openai.azure.com", "mine"),
                              ("https://mine.services.ai.azure.com/", "mine"),
                              ("https://mine.openai.azure.com/openai/v1", "mine"),
                              ("http://127.0.0.1:8080", None), ("https://proxy.example.com", None)):
        assert Provider(kind="azure", azure_endpoint=endpoint).azure_account() == account, endpoint
    mine = Provider(kind="azure", azure_endpoint="https://mine.openai.azure.com").azure_account()
    found = deployments.deployment_for(model, ledger, {}, None, mine)
    assert found == "mine-ft"
