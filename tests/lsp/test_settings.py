"""Settings from the client: names in either case, bad values named, pairing of files."""

from __future__ import annotations

from finetune_ls.lsp.settings import ServerSettings


def test_camel_and_snake_case_and_problems_are_named():
    settings, problems = ServerSettings.from_client(
        {"model": "gpt-4o-mini", "maxDiagnostics": 50, "max_file_mb": 10, "epochs": "auto", "method": "rl",
         "ignore": "*.tmp", "unknown": 1})
    assert (settings.model, settings.max_diagnostics, settings.max_file_mb, settings.epochs) == ("gpt-4o-mini", 50,
                                                                                               10.0, None)
    assert settings.method is None and settings.ignore == ()
    assert any("finetune.method" in p for p in problems) and any("finetune.ignore" in p for p in problems)
    nested, _ = ServerSettings.from_client({"finetune": {"epochs": 3}}, settings)
    assert nested.epochs == 3 and nested.model == "gpt-4o-mini"


def test_validation_files_are_found_by_name(tmp_path):
    settings = ServerSettings()
    for name in ("train.jsonl", "valid.jsonl", "data.jsonl", "data.valid.jsonl", "a_train.jsonl", "a_val.jsonl"):
        (tmp_path / name).write_text("")
    assert settings.validation_for(str(tmp_path / "train.jsonl")) == str(tmp_path / "valid.jsonl")
    assert settings.validation_for(str(tmp_path / "data.jsonl")) == str(tmp_path / "data.valid.jsonl")
    assert settings.validation_for(str(tmp_path / "a_train.jsonl")) == str(tmp_path / "a_val.jsonl")
    assert settings.validation_for(str(tmp_path / "valid.jsonl")) is None
    paired, _ = ServerSettings.from_client({"validationPairs": {str(tmp_path / "x.jsonl"): str(tmp_path / "y.jsonl")}})
    assert paired.validation_for(str(tmp_path / "x.jsonl")) == str(tmp_path / "y.jsonl")
    assert ServerSettings(ignore=("*.tmp.jsonl",)).ignored("/a/b/c.tmp.jsonl")
