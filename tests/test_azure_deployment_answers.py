"""Deployments whose answers are not what was asked or not what the spec says, through the
`finetune-ls deployments` command: a name that already serves the model with another SKU
is refused naming what really bills (never reported as the SKU asked for), and answers of
another shape are one sentence or read as far as they go, never a traceback."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading

from azure_cli import outside_removed
from fake_entra import SENTINEL_TOKEN_PREFIX
from helpers import answer_json
from finetune_ls.api.ledger import Ledger

MODEL = "gpt-4.1-mini-2025-04-14.ft-0123456789abcdef0123456789abcdef"


def deployments(workspace, *args: str, endpoint_args: list[str]) -> subprocess.CompletedProcess:
    env = outside_removed()
    env.update(FINETUNE_LS_DEPLOY_POLL_SECONDS="0.01")
    done = subprocess.run([sys.executable, "-m", "finetune_ls", "deployments", *args, *endpoint_args], cwd=workspace,
                          env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert SENTINEL_TOKEN_PREFIX not in done.stdout + done.stderr
    return done


def test_a_name_serving_the_model_with_another_sku_is_refused_naming_what_bills(fake_management, tmp_path):
    resource = fake_management.resource_args()
    made = deployments(tmp_path, "create", MODEL, "--name", "demo-ft", "--sku", "Standard", "--yes",
                       endpoint_args=resource)
    assert made.returncode == 0, made.stderr
    again = deployments(tmp_path, "create", MODEL, "--name", "demo-ft", "--sku", "Developer", "--yes",
                        endpoint_args=resource)
    assert again.returncode == 1
    sentence = again.stderr.strip().splitlines()[-1]
    assert "demo-ft already serves" in sentence and "Standard SKU" in sentence and "$1.70 per hour" in sentence
    assert len(fake_management.requests_to("PUT")) == 1  # nothing sent for the second
    ledger = [entry for entry in Ledger(str(tmp_path)).entries() if entry["id"] == "demo-ft"]
    assert {entry["sku"] for entry in ledger} == {"Standard"}  # never recorded as the free Developer SKU
    same = deployments(tmp_path, "create", MODEL, "--name", "demo-ft", "--sku", "Standard", "--yes", "--json",
                       endpoint_args=resource)
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["sku"] == "Standard" and json.loads(same.stdout)["hourlyUsd"] == 1.7


class _Answers(http.server.BaseHTTPRequestHandler):
    """A management endpoint answering every GET with one body."""
    body: object = None

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        answer_json(self, 200, type(self).body)

    def log_message(self, *args) -> None:
        pass


def _listing(tmp_path, body: object, *output: str) -> subprocess.CompletedProcess:
    handler = type("Answers", (_Answers,), {"body": body})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        return deployments(tmp_path, "list", *output, endpoint_args=[
            "--subscription", "s", "--resource-group", "g", "--account", "a",
            "--management-endpoint", f"http://127.0.0.1:{server.server_address[1]}"])
    finally:
        server.shutdown()


def test_a_list_without_its_items_is_one_sentence(fake_entra, tmp_path):
    for body in ({"value": 5}, {"value": None}, [1, 2], "text"):
        done = _listing(tmp_path, body, "--json")
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1 and len(lines) == 1 and "without its items" in lines[0], (body, done.stderr)


def test_fields_of_another_type_are_left_out_not_shown_or_crashed_on(fake_entra, tmp_path):
    odd = {"name": "odd", "sku": {"name": {"a": 1}, "capacity": "many"},
           "properties": {"model": {"name": {"a": 1}}, "provisioningState": "Succeeded"},
           "systemData": {"createdAt": 5}}
    fine = {"name": "fine", "sku": {"name": "DeveloperTier", "capacity": 50},
            "properties": {"model": {"name": MODEL}, "provisioningState": "Succeeded"},
            "systemData": {"createdAt": 7}}
    done = _listing(tmp_path, {"value": [odd, fine]}, "--json")
    assert done.returncode == 0, done.stderr
    listed = {item["name"]: item for item in json.loads(done.stdout)["deployments"]}
    assert listed["odd"]["model"] is None and listed["odd"]["sku"] is None and listed["odd"]["capacity"] is None
    assert listed["fine"]["sku"] == "Developer" and listed["fine"]["expires"] is None
    text = _listing(tmp_path, {"value": [odd, fine]})  # and as text for people
    assert text.returncode == 0 and "odd" in text.stdout and "fine" in text.stdout, text.stderr


def test_a_name_azure_cannot_take_is_refused_before_anything_is_asked_or_sent(fake_management, tmp_path):
    for name in ("bad name!", "x/../../other", "_underscore-first", "a" * 65):
        done = deployments(tmp_path, "create", MODEL, f"--name={name}", endpoint_args=fake_management.resource_args())
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1 and len(lines) == 1 and "cannot name a deployment" in lines[0], (name, done.stderr)
        assert "Type yes" not in done.stdout + done.stderr  # refused before the question
    assert not fake_management.requests and not (tmp_path / ".finetune" / "ledger.jsonl").exists()
