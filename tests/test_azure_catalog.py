"""Azure OpenAI's own catalog: with provider azure, `finetune-ls check` dates, prices and
limits a file by Azure's data (data/azure.json), not OpenAI's; the job confirmation too."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from importlib import resources

import pytest

from finetune_ls.api.jobs import JobRequest, estimate, refusal
from finetune_ls.core.catalog import _catalog_validator, bundled_catalog
from finetune_ls.core.engine import CheckSettings, check_text

OK = '{"messages":[{"role":"user","content":"Question %d"},{"role":"assistant","content":"Answer %d"}]}'
TEN = "".join(OK % (n, n) + "\n" for n in range(10))
# About 1,000 tokens an example: 10 examples x 50 epochs is half a million billed tokens.
LONG = "".join('{"messages":[{"role":"user","content":"Tell me %d"},{"role":"assistant","content":"%s"}]}\n'
               % (n, "word " * 1000) for n in range(10))


def _images(count: int) -> str:
    part = '{"type":"image_url","image_url":{"url":"https://example.org/%d.png"}}'
    line = ('{"messages":[{"role":"user","content":[' + ",".join(part % i for i in range(count))
            + ']},{"role":"assistant","content":"Cats."}]}')
    return "".join(line.replace("Cats.", f"Cats {n}.") + "\n" for n in range(10))


def check(cli_path, tmp_path, text: str, *args: str) -> dict:
    path = tmp_path / "train.jsonl"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([cli_path, "check", "--today", "2026-12-04", "--format", "json", *args, str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["files"][0]


def messages(report: dict, code: str) -> list[str]:
    return [f["message"] for f in report["findings"] if f["code"] == code]


def test_retirement_names_azures_dates_not_openais(cli_path, tmp_path):
    azure = check(cli_path, tmp_path, TEN, "--provider", "azure", "--model", "gpt-4o-mini")
    [message] = messages(azure, "model-retiring")
    assert "Azure OpenAI" in message and "2027-04-01" in message and "2027-10-01" in message
    assert "existing customers only" in message
    assert "2027-01-06" not in json.dumps(azure) and "OpenAI stopped" not in message
    openai = check(cli_path, tmp_path, TEN, "--model", "gpt-4o-mini")
    assert "2027-01-06" in messages(openai, "model-retiring")[0]


def test_a_model_azure_retired_is_refused_with_azures_words(cli_path, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text(TEN, encoding="utf-8")
    done = subprocess.run([cli_path, "check", "--today", "2027-05-01", "--provider", "azure", "--model",
                           "gpt-4o-mini", "--format", "json", str(path)], capture_output=True, text=True, timeout=120)
    [message] = messages(json.loads(done.stdout)["files"][0], "model-not-trainable")
    assert "Azure retired its training on 2027-04-01" in message and "serve until 2027-10-01" in message
    assert "gpt-4.1-2025-04-14" not in message  # retired on 2027-04-14 too: not offered as an alternative
    assert "Qwen-32B" in message  # Azure's open models are


def test_the_training_type_changes_the_price_and_says_how_sure_it_is(cli_path, tmp_path):
    common = ("--provider", "azure", "--model", "gpt-4.1", "--epochs", "50")
    default = check(cli_path, tmp_path, LONG, *common)["summary"]
    developer = check(cli_path, tmp_path, LONG, *common, "--training-type", "Developer")["summary"]
    standard = check(cli_path, tmp_path, LONG, *common, "--training-type", "Standard")["summary"]
    assert default["training_type"] == "GlobalStandard" and default["price_per_1m_tokens"] == 2.0
    assert developer["training_type"] == "Developer" and developer["price_per_1m_tokens"] == 1.0
    assert developer["estimated_cost_usd"] == pytest.approx(default["estimated_cost_usd"] / 2, abs=0.01)
    assert default["estimated_cost_usd"] > 0.5
    for summary in (default, developer):
        assert "Azure OpenAI" in summary["cost_note"] and "unconfirmed" in summary["cost_note"]
        assert "2026-03-19" in summary["cost_note"]
    assert "derived" in developer["cost_note"]
    assert standard["price_per_1m_tokens"] is None and standard["estimated_cost_usd"] is None
    assert "no published price" in standard["cost_note"]
    rows = {(row["model"], row["training_type"]): row for row in default["cost_comparison"]}
    assert rows[("gpt-4.1-2025-04-14", "GlobalStandard")]["target"] is True
    assert rows[("gpt-4.1-2025-04-14", "Developer")]["price_per_1m_tokens"] == 1.0
    openai = check(cli_path, tmp_path, LONG, "--model", "gpt-4.1", "--epochs", "50")["summary"]
    assert openai["price_per_1m_tokens"] == 25.0 and "training_type" not in openai


def test_text_output_names_the_training_type(cli_path, tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text(LONG, encoding="utf-8")
    done = subprocess.run([cli_path, "check", "--today", "2026-12-04", "--provider", "azure", "--model", "gpt-4.1",
                           "--training-type", "Developer", str(path)], capture_output=True, text=True, timeout=120)
    assert "(Developer training)" in done.stdout and "unconfirmed" in done.stdout


def test_reinforcement_on_azure_is_billed_per_hour(cli_path, tmp_path):
    rft = "".join('{"messages":[{"role":"user","content":"Is %d prime?"}],"reference_answer":"no"}\n' % n
                  for n in range(10))
    summary = check(cli_path, tmp_path, rft, "--provider", "azure", "--model", "o4-mini")["summary"]
    assert summary["estimated_cost_usd"] is None
    assert "Azure OpenAI bills reinforcement fine-tuning per hour" in summary["cost_note"]
    assert "not per token" in summary["cost_note"] and "$100" in summary["cost_note"]


def test_images_per_example_follow_the_provider(cli_path, tmp_path):
    eleven = _images(11)
    assert messages(check(cli_path, tmp_path, eleven, "--model", "gpt-4o"), "too-many-images")
    assert not messages(check(cli_path, tmp_path, eleven, "--provider", "azure", "--model", "gpt-4o"),
                        "too-many-images")
    [first, *_] = messages(check(cli_path, tmp_path, _images(65), "--provider", "azure", "--model", "gpt-4o"),
                           "too-many-images")
    assert "65 images" in first and "Azure OpenAI allows at most 64" in first


def test_too_few_examples_is_azures_rule_on_azure(cli_path, tmp_path):
    [message] = messages(check(cli_path, tmp_path, OK % (1, 1) + "\n", "--provider", "azure"), "too-few-examples")
    assert "Azure OpenAI needs at least 10" in message and "OpenAI refuses" not in message


def test_a_model_azure_does_not_fine_tune_is_unknown_there(cli_path, tmp_path):
    azure = check(cli_path, tmp_path, TEN, "--provider", "azure", "--model", "gpt-3.5-turbo-0125")
    [message] = messages(azure, "unknown-model")
    assert "Azure OpenAI model catalog" in message
    assert [f["severity"] for f in azure["findings"] if f["code"] == "unknown-model"] == ["warning"]
    assert messages(check(cli_path, tmp_path, TEN, "--model", "gpt-3.5-turbo-0125"), "model-not-trainable")


def test_open_models_say_their_token_counts_are_approximate(cli_path, tmp_path):
    summary = check(cli_path, tmp_path, TEN, "--provider", "azure", "--model", "Qwen-32B")["summary"]
    assert summary["training_type"] == "GlobalStandard"
    assert "approximate" in summary["cost_note"] and "not OpenAI's" in summary["cost_note"]


def test_a_user_catalog_merges_on_top_of_azures(cli_path, tmp_path):
    extra = tmp_path / "mine.json"
    extra.write_text(json.dumps({"models": [{"id": "gpt-4.1-2025-04-14", "training_types": {
        "GlobalStandard": {"price_per_1m": 3.0, "price_confirmed": True, "note": "our contract price"}}}]}))
    report = check(cli_path, tmp_path, LONG, "--provider", "azure", "--model", "gpt-4.1", "--epochs", "50",
                   "--catalog", str(extra))
    assert report["summary"]["price_per_1m_tokens"] == 3.0
    assert "price confirmed" in report["summary"]["cost_note"]
    assert report["summary"]["training_context"] == 65536  # the rest of Azure's entry stays


def test_a_job_over_two_billion_tokens_is_over_azures_quota():
    settings = CheckSettings(provider="azure", model="gpt-4.1-mini", epochs=20_000_000, today=date(2026, 12, 4))
    report = check_text(TEN, settings)
    [finding] = [f for f in report.findings if f.code == "job-too-large"]
    assert "2,000,000,000" in finding.message and "Azure OpenAI" in finding.message
    openai = check_text(TEN, CheckSettings(model="gpt-4.1-mini", epochs=20_000_000, today=date(2026, 12, 4)))
    assert "job-too-large" not in {f.code for f in openai.findings}


def test_the_catalog_schema_accepts_azures_catalog():
    document = json.loads((resources.files("finetune_ls") / "data" / "azure.json").read_text(encoding="utf-8"))
    assert list(_catalog_validator().iter_errors(document)) == []
    catalog = bundled_catalog("azure")
    assert {"gpt-4o-mini-2024-07-18", "gpt-5-2025-08-07", "Qwen-32B", "gpt-oss-20b"} <= set(catalog.models)
    assert catalog.resolve("gpt-4.1-nano").training_context == 32768
    assert [t.name for t in catalog.resolve("o4-mini").training_types] == ["Standard", "GlobalStandard", "Developer"]
    assert catalog.limits.max_images_per_example == 64 and bundled_catalog().limits.max_images_per_example == 10


def test_the_job_confirmation_uses_azures_catalog():
    azure = bundled_catalog("azure")
    late = refusal(JobRequest("gpt-4o-mini", "file-1"), azure, date(2027, 5, 1), "chat")
    assert "Azure OpenAI" in late and "2027-04-01" in late and "2027-10-01" in late
    assert refusal(JobRequest("gpt-4o-mini", "file-1"), azure, date(2026, 12, 4), "chat") is None
    report = check_text(LONG, CheckSettings(provider="azure", model="gpt-4.1", epochs=50, training_type="Developer",
                                            today=date(2026, 12, 4)))
    text = estimate(report.summary)
    assert "Developer training on Azure OpenAI" in text and "unconfirmed" in text and "$0.5" in text


def test_azures_fine_tuned_model_ids_resolve_to_their_base_model():
    azure = bundled_catalog("azure")
    info = azure.resolve("gpt-4.1-2025-04-14.ft-0123456789abcdef0123456789abcdef")
    assert info.id == "gpt-4.1-2025-04-14" and info.shutdown == date(2027, 10, 14)
    assert azure.resolve("ft:gpt-4o-mini-2024-07-18:org:suffix:abc").id == "gpt-4o-mini-2024-07-18"
