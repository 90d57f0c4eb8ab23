"""Every management-API call finetune-ls makes for deployments (PUT, GET, list, DELETE,
and the GETs that follow a create), through its own client, against steady serving the
deployment operations of Azure's management spec (Microsoft.CognitiveServices
2026-07-01): no request may draw a diagnostic; malformed requests (capacity as text, a
SKU without a name) must.

The spec is /work/shared/azure-api/deployments-2026-07-01.openapi3.json: the deployment
operations and their definitions extracted from the Swagger 2.0 `cognitiveservices.json`
and `common-types/.../types.json`, converted to OpenAPI 3 with swagger2openapi 7.0.8
(steady refuses Swagger 2.0); see that folder's README. steady answers `{}`-ish bodies,
so these tests check the requests, not the answers."""

from __future__ import annotations

import pytest

from contract.conftest import REPO, steady_serving
from finetune_ls.api import deployments, management
from finetune_ls.api.ledger import Ledger
from finetune_ls.api.management import AzureResource, ManagementClient, ManagementError
from finetune_ls.core.catalog import bundled_catalog

# Shared beside the repository (or beside the folder of its worktrees), never copied into it.
SPEC = next((folder / "shared" / "azure-api" / "deployments-2026-07-01.openapi3.json" for folder in REPO.parents[:2]
             if (folder / "shared" / "azure-api").is_dir()), REPO.parent / "shared" / "azure-api" / "none")
MODEL = "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def steady_arm(tmp_path_factory):
    with steady_serving(SPEC, tmp_path_factory.mktemp("steady-arm"), "the management spec") as server:
        yield server


@pytest.fixture
def arm(steady_arm):
    """A management client on steady (a made-up token: steady checks no credentials)."""
    resource = AzureResource("00000000-1111-2222-3333-444444444444", "rg-finetune", "aoai-finetune",
                             steady_arm.root_url)
    with ManagementClient(resource, lambda url: "contract-test-token", timeout=10) as client:
        yield client


def assert_clean(steady_arm, since: int) -> list:
    seen = steady_arm.requests()[since:]
    steady_arm.assert_no_diagnostics(since)
    return seen


@pytest.mark.parametrize("sku_name", ["Standard", "GlobalStandard", "Developer"])
def test_create_put_for_each_sku_and_a_checkpoint(arm, steady_arm, sku_name):
    since = steady_arm.mark()
    sku = bundled_catalog("azure").deployment_sku(sku_name)
    for model in (MODEL, "ftchkpt-0123456789abcdef0123456789abcdef"):
        answer = arm.put_deployment(deployments.default_name(model), deployments.request_body(model, sku, 3))
        assert answer.status in (200, 201)
    seen = assert_clean(steady_arm, since)
    assert [(r.method, r.status) for r in seen] == [("PUT", answer.status)] * 2
    assert all("api-version=2026-07-01" in r.path for r in seen)


def test_get_list_follow_and_delete(arm, steady_arm, tmp_path):
    since = steady_arm.mark()
    assert arm.get_deployment("demo-ft") is not None
    arm.list_deployments()
    management.wait_until_ended(arm, "demo-ft", first_wait=0, timeout=0)  # the GETs that follow a create
    assert arm.delete_deployment("demo-ft").status in (200, 202, 204)
    with pytest.raises(deployments.DeploymentRefused, match="already exists"):  # steady's GET answers {}
        deployments.create(arm, Ledger(str(tmp_path)), bundled_catalog("azure"), MODEL, "demo-ft", "Developer")
    seen = assert_clean(steady_arm, since)
    assert [r.method for r in seen] == ["GET", "GET", "GET", "DELETE", "GET"]


@pytest.mark.parametrize("body, code", [
    ({"sku": {"name": "Standard", "capacity": "1"},
      "properties": {"model": {"format": "OpenAI", "name": MODEL, "version": "1"}}}, "E3008"),
    ({"sku": {"capacity": 1}, "properties": {"model": {"format": "OpenAI", "name": MODEL, "version": "1"}}}, "E3007"),
], ids=["capacity-as-text", "sku-without-name"])
def test_a_malformed_put_is_caught(arm, steady_arm, body, code):
    since = steady_arm.mark()
    with pytest.raises(ManagementError) as refused:
        arm.call("PUT", arm.resource.deployments_url("demo-ft"), body=body, retries=0)
    assert refused.value.status == 400 and "refused the request (400" in str(refused.value)
    diagnosed = steady_arm.diagnosed(since)
    assert [d.get("code") for r in diagnosed for d in r.diagnostics] == [code]
