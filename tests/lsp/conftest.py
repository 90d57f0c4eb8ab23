"""A real LSP client (pytest-lsp) talking to `finetune-ls serve` over stdio, once with the
capabilities VS Code announces and once with Neovim's (which pulls diagnostics)."""

from __future__ import annotations

import os
import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp.session import answer_refreshes, capabilities_of

CLIENTS = ["visual-studio-code", "neovim"]
SENTINEL_CACHE = {"FINETUNE_LS_CACHE_DIR": "/tmp/finetune-ls-test-cache"}


def server_config() -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "finetune_ls", "serve", "--log-level", "debug"],
        server_env={**os.environ, **SENTINEL_CACHE},
    )


@pytest_lsp.fixture(config=server_config(), params=CLIENTS)
async def client(lsp_client: LanguageClient, request, tmp_path):
    params = types.InitializeParams(
        capabilities=capabilities_of(request.param),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="work")],
        initialization_options={"model": "gpt-4o-mini-2024-07-18"},
    )
    lsp_client.set_configuration({}, section="finetune")
    answer_refreshes(lsp_client)
    lsp_client.initialize_result = await lsp_client.initialize_session(params)
    lsp_client.work_dir = tmp_path
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=server_config())
async def bare_client(lsp_client: LanguageClient, tmp_path):
    """A client that announces no optional capability at all: no pull diagnostics, no
    code action resolve, no progress, no configuration."""
    answer_refreshes(lsp_client)
    lsp_client.initialize_result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=tmp_path.as_uri(),
        initialization_options={"model": "gpt-4o-mini-2024-07-18"}))
    lsp_client.work_dir = tmp_path
    yield
    await lsp_client.shutdown_session()
