"""`finetune-ls convert` as people run it: each input kind and shape converted and then
passing `finetune-ls check`, the options, the report, and the files it refuses to touch."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import openpyxl
import pytest

from finetune_ls.cli.main import main
from finetune_ls.prep.outputs import write_atomically
from helpers import TODAY

ROWS = 12  # OpenAI wants at least 10 examples: the round trips must pass check as a whole file


def convert(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["convert", "--today", TODAY.isoformat(), *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def check(capsys, path) -> dict:
    status = main(["check", "--today", TODAY.isoformat(), "--no-cache", "--format", "json", str(path)])
    report = json.loads(capsys.readouterr().out)["files"][0]
    report["status"] = status
    return report


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([header, *rows])
    return buffer.getvalue()


def jsonl(rows) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def xlsx(path, header, rows) -> None:
    book = openpyxl.Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    book.save(path)


# One file per input kind and shape, each row different (no duplicate warnings).
FIXTURES = {
    "prompt-completion.csv": lambda p: p.write_text(csv_text(
        ["prompt", "completion"], [[f"Sum {i}+{i}, please ->", f" {2 * i} END"] for i in range(ROWS)])),
    "alpaca.json": lambda p: p.write_text(json.dumps(
        [{"instruction": f"Translate {i}", "input": f"mot {i}", "output": f"word {i}"} for i in range(ROWS)],
        indent=2)),
    "question-answer.tsv": lambda p: p.write_text(csv_text(
        ["question", "answer"], [[f"Who is {i}?", f"Number\n{i}"] for i in range(ROWS)], "\t")),
    "sharegpt.jsonl": lambda p: p.write_text(jsonl(
        {"conversations": [{"from": "human", "value": f"Hi {i}"}, {"from": "gpt", "value": f"Hey {i}"}]}
        for i in range(ROWS))),
    "classification.xlsx": lambda p: xlsx(p, ["text", "label"], [[f"review {i}", "positive"] for i in range(ROWS)]),
    "input-output.json": lambda p: p.write_text("\n".join(json.dumps(
        {"input": f"x{i}", "output": i * 1.5}, indent=1) for i in range(ROWS))),
    "trl-preference.jsonl": lambda p: p.write_text(jsonl(
        {"prompt": f"Greet {i}", "chosen": f"Hello {i}!", "rejected": "no"} for i in range(ROWS))),
}


@pytest.mark.parametrize("name", FIXTURES)
def test_round_trip_converted_output_passes_check(capsys, tmp_path, name):
    source = tmp_path / name
    FIXTURES[name](source)
    shape = name.split(".")[0]
    target = "preference" if shape == "trl-preference" else "chat"
    status, out, err = convert(capsys, source, "-o", tmp_path / "out.jsonl")
    assert status == 0, err
    assert f"detected shape: {shape} (" in out and f"wrote {ROWS} {target} examples" in out
    report = check(capsys, tmp_path / "out.jsonl")
    assert (report["status"], report["format"], report["summary"]["examples"]) == (0, target, ROWS)


def test_legacy_separators_leave_the_chat_text(capsys, tmp_path):
    FIXTURES["prompt-completion.csv"](tmp_path / "legacy.csv")
    convert(capsys, tmp_path / "legacy.csv", "-o", tmp_path / "out.jsonl")
    first = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert first == {"messages": [{"role": "user", "content": "Sum 0+0, please"},
                                  {"role": "assistant", "content": "0"}]}


def test_columns_system_and_default_output_name(capsys, tmp_path):
    source = tmp_path / "sheet.xlsx"
    xlsx(source, ["Ask", "Reply"], [[f"q{i}", f"a{i}"] for i in range(ROWS)])
    status, out, _ = convert(capsys, source, "--prompt-col", "Ask", "--completion-col", "Reply", "--system", "Be kind.")
    assert status == 0
    written = (tmp_path / "sheet.chat.jsonl").read_text().splitlines()
    assert json.loads(written[3])["messages"] == [{"role": "system", "content": "Be kind."},
                                                  {"role": "user", "content": "q3"},
                                                  {"role": "assistant", "content": "a3"}]
    assert str(tmp_path / "sheet.chat.jsonl") in out


def test_role_mapping(capsys, tmp_path):
    source = tmp_path / "story.jsonl"
    source.write_text(jsonl({"conversations": [{"from": "narrator", "value": f"Scene {i}"},
                                               {"from": "human", "value": "Go"}, {"from": "gpt", "value": "Gone"}]}
                            for i in range(ROWS)))
    status, _, err = convert(capsys, source, "-o", tmp_path / "a.jsonl")
    assert status == 1 and not (tmp_path / "a.jsonl").exists()
    assert f"{source}:1: error[not-convertible] turn 1: the speaker 'narrator'" in err
    status, _, err = convert(capsys, source, "-o", tmp_path / "b.jsonl", "--role", "narrator=system")
    assert status == 0, err
    assert json.loads((tmp_path / "b.jsonl").read_text().splitlines()[0])["messages"][0] == \
        {"role": "system", "content": "Scene 0"}
    assert convert(capsys, source, "--role", "narrator")[0] == 2


def test_to_prompt_completion_is_written_and_the_check_says_it_cannot_be_trained(capsys, tmp_path):
    source = tmp_path / "qa.csv"
    source.write_text(csv_text(["question", "answer"], [[f"q{i}", f"a{i}"] for i in range(ROWS)]))
    status, _, err = convert(capsys, source, "--to", "prompt-completion", "-o", tmp_path / "out.jsonl")
    assert json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0]) == {"prompt": "q0", "completion": "a0"}
    assert status == 1 and "error[model-not-trainable]" in err


def test_never_the_input_and_never_an_existing_file_without_force(capsys, tmp_path):
    source = tmp_path / "data.jsonl"
    source.write_text(FIXTURES_TEXT := jsonl({"question": f"q{i}", "answer": "a"} for i in range(ROWS)))
    for same in (source, tmp_path / "sub" / ".." / "data.jsonl"):
        status, _, err = convert(capsys, source, "-o", same, "--force")
        assert status == 2 and "never overwrites its input" in err
    assert source.read_text() == FIXTURES_TEXT
    (tmp_path / "out.jsonl").write_text("keep me\n")
    status, _, err = convert(capsys, source, "-o", tmp_path / "out.jsonl")
    assert status == 2 and "exists; pass --force" in err and (tmp_path / "out.jsonl").read_text() == "keep me\n"
    assert convert(capsys, source, "-o", tmp_path / "out.jsonl", "--force")[0] == 0
    assert (tmp_path / "out.jsonl").read_text().count("\n") == ROWS


def test_bad_rows_block_the_write_unless_skipped_and_are_reported_either_way(capsys, tmp_path):
    source = tmp_path / "data.jsonl"
    rows = [json.dumps({"question": f"q{i}", "answer": f"a{i}"}) for i in range(ROWS)]
    rows[3] = '{"question": "q3"}'
    rows[7] = '{"question": "q7", "answer": ["a", "list"]}'
    source.write_text("\n".join(rows) + "\n")
    status, out, err = convert(capsys, source, "-o", tmp_path / "out.jsonl")
    assert status == 1 and not (tmp_path / "out.jsonl").exists() and "wrote" not in out
    assert f"{source}:4: error[not-convertible] the row has no 'answer'" in err
    assert f"{source}:8: error[not-convertible] 'answer' is a list, not text" in err
    assert "2 rows cannot be converted (the first: row 4, the row has no 'answer'); nothing written" in err
    status, out, err = convert(capsys, source, "-o", tmp_path / "out.jsonl", "--skip-bad")
    assert status == 0
    assert f"{source}:4:" in err and f"{source}:8:" in err
    assert f"wrote {ROWS - 2} chat examples" in out and "left out 2 rows (--skip-bad)" in out


def test_json_report(capsys, tmp_path):
    source = tmp_path / "data.csv"
    source.write_text(csv_text(["text", "label", "id"], [[f"t{i}", "x", str(i)] for i in range(ROWS)]) + "only,two\r\n")
    status, out, _ = convert(capsys, source, "-o", tmp_path / "out.jsonl", "--skip-bad", "--json")
    report = json.loads(out)
    assert status == 0
    assert report["written"] is True and report["converted"] == ROWS and report["skipped"] == [ROWS + 2]
    assert report["detected"] == {"shape": "classification", "label": "classification (text/label)",
                                  "target": "chat", "used": ["text", "label"], "ignored": ["id"]}
    assert report["problems"] == [{"row": ROWS + 2, "code": "unreadable-row", "severity": "error",
                                   "message": "the row has 2 fields but the header has 3"}]
    assert report["check"]["errors"] == 0 and report["check"]["summary"]["examples"] == ROWS


def test_ambiguous_input_is_a_usage_problem(capsys, tmp_path):
    source = tmp_path / "data.csv"
    source.write_text("prompt,completion,text,label\na,b,c,d\n")
    status, out, err = convert(capsys, source, "-o", tmp_path / "out.jsonl")
    assert status == 2 and out == "" and not (tmp_path / "out.jsonl").exists()
    assert "columns seen (prompt, completion, text, label)" in err and "--shape" in err


def test_unreadable_files(capsys, tmp_path):
    (tmp_path / "latin1.csv").write_bytes(b"prompt,completion\nok,fine\ncaf\xe9,x\n")
    status, _, err = convert(capsys, tmp_path / "latin1.csv", "-o", tmp_path / "a.jsonl")
    assert status == 1 and f"{tmp_path / 'latin1.csv'}:3: error: not UTF-8" in err
    (tmp_path / "data.txt").write_text("question,answer\n" + "q,a\n" * ROWS)
    status, _, err = convert(capsys, tmp_path / "data.txt", "-o", tmp_path / "b.jsonl")
    assert status == 2 and "--from" in err
    assert convert(capsys, tmp_path / "data.txt", "--from", "csv", "-o", tmp_path / "b.jsonl")[0] == 0
    assert convert(capsys, tmp_path / "missing.csv", "-o", tmp_path / "c.jsonl")[0] == 2


def test_the_installed_command(cli_path, tmp_path):
    FIXTURES["sharegpt.jsonl"](tmp_path / "in.jsonl")
    result = subprocess.run([cli_path, "convert", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("detected shape: sharegpt (conversations with from/value) -> chat\n")


def test_preference_columns_and_the_model_the_output_is_checked_for(capsys, tmp_path):
    source = tmp_path / "ranked.csv"
    source.write_text(csv_text(["ask", "good", "bad"], [[f"Greet {i}", f"Hello {i}!", "No."] for i in range(ROWS)]))
    status, out, _ = convert(capsys, source, "-o", tmp_path / "dpo.jsonl", "--json", "--prompt-col", "ask",
                             "--chosen-col", "good", "--rejected-col", "bad", "--model", "gpt-4o-mini-2024-07-18")
    report = json.loads(out)
    assert status == 0
    assert (report["detected"]["shape"], report["detected"]["target"]) == ("trl-preference", "preference")
    assert report["check"]["summary"]["model"] == "gpt-4o-mini-2024-07-18"
    first = json.loads((tmp_path / "dpo.jsonl").read_text().splitlines()[0])
    assert first == {"input": {"messages": [{"role": "user", "content": "Greet 0"}]},
                     "preferred_output": [{"role": "assistant", "content": "Hello 0!"}],
                     "non_preferred_output": [{"role": "assistant", "content": "No."}]}


def test_an_output_folder_that_cannot_be_written_is_an_io_problem(capsys, tmp_path):
    FIXTURES["sharegpt.jsonl"](tmp_path / "in.jsonl")
    status, _, err = convert(capsys, tmp_path / "in.jsonl", "-o", tmp_path / "no" / "such" / "out.jsonl")
    assert status == 2 and err.startswith(f"finetune-ls: cannot write {tmp_path / 'no' / 'such' / 'out.jsonl'}")
    assert list(tmp_path.iterdir()) == [tmp_path / "in.jsonl"]


def test_writing_never_takes_a_name_that_appeared_meanwhile(tmp_path):
    (tmp_path / "out.jsonl").write_text("someone else's\n")
    with pytest.raises(FileExistsError):
        write_atomically(str(tmp_path / "out.jsonl"), "{}\n")
    assert (tmp_path / "out.jsonl").read_text() == "someone else's\n"
    write_atomically(str(tmp_path / "out.jsonl"), "{}\n", replace=True)
    assert (tmp_path / "out.jsonl").read_text() == "{}\n" and list(tmp_path.iterdir()) == [tmp_path / "out.jsonl"]
