"""The Azure resource that deployments are made on (for `deployments` and `complete`):
flags, else the environment (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP,
AZURE_OPENAI_ACCOUNT, AZURE_MANAGEMENT_ENDPOINT)."""

from __future__ import annotations

import argparse


def add_resource_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Azure resource, for deployments (unset: the environment)")
    group.add_argument("--subscription", help="the subscription id (default: AZURE_SUBSCRIPTION_ID)")
    group.add_argument("--resource-group", help="the resource group (default: AZURE_RESOURCE_GROUP)")
    group.add_argument("--account", help="the Azure OpenAI / Foundry resource's name (default: AZURE_OPENAI_ACCOUNT)")
    group.add_argument("--management-endpoint", metavar="URL",
                       help="Azure's management endpoint (default: AZURE_MANAGEMENT_ENDPOINT, else "
                            "https://management.azure.com; sovereign clouds have their own)")


def resource_of(args: argparse.Namespace):
    """The AzureResource, or MissingResource naming what is missing."""
    from finetune_ls.api.management import resource_from

    return resource_from(args.subscription, args.resource_group, args.account, args.management_endpoint)


def client_of(args: argparse.Namespace, azure_auth: str):
    """A management client for the resource, signed in with Microsoft Entra ID."""
    from finetune_ls.api.management import ManagementClient, management_token

    resource = resource_of(args)
    return ManagementClient(resource, management_token(resource, azure_auth), timeout=args.timeout)


def deployment_to_call(args: argparse.Namespace, provider, model: str) -> str:
    """What a completion names as its model: on Azure, the deployment of a fine-tuned
    model (given, else from the ledger, else from the management API when the resource is
    known); AzureProblem (one sentence) when it has none."""
    if provider.kind != "azure":
        return model
    from finetune_ls.api import deployments
    from finetune_ls.api.ledger import Ledger
    from finetune_ls.api.management import MissingResource
    from finetune_ls.core.catalog import bundled_catalog

    try:
        resource = resource_of(args)
    except MissingResource:
        resource = None

    def listed():
        with client_of(args, provider.azure_auth) as client:
            return deployments.list_live(client, bundled_catalog("azure"))

    return deployments.deployment_for(model, Ledger(args.workspace), dict(provider.deployments),
                                      listed if resource else None,
                                      resource.account if resource else provider.azure_account())
