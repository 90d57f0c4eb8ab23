"""finetune-ls split: nothing lost, stratified, duplicates on one side, reproducible."""

from __future__ import annotations

import json
from collections import Counter

from prep_files import chat_line, errors_of, lines_of, multiset
from finetune_ls.prep.source import read_source
from finetune_ls.prep.split import classification_labels, split, validation_size

LABELS = ("positive", "negative", "neutral")


def _classified(count: int = 60) -> list[str]:
    # Unbalanced on purpose: 36 positive, 18 negative, 6 neutral.
    labels = ["positive"] * 36 + ["negative"] * 18 + ["neutral"] * 6
    return [chat_line(f"Review {n}: {'good' if label == 'positive' else 'meh'} product {n * 7}", label)
            for n, label in enumerate(labels[:count])]


def _answers(path) -> Counter:
    return Counter(json.loads(line)["messages"][-1]["content"] for line in lines_of(path))


def test_train_plus_valid_is_the_input(write, cli):
    path = write("data.jsonl", _classified())
    status, out, _ = cli("split", path, "--valid", "0.2", "--seed", "7")
    assert status == 0, out
    train, valid = path.with_name("data.train.jsonl"), path.with_name("data.valid.jsonl")
    assert multiset(train, valid) == multiset(path)
    assert len(lines_of(valid)) == 12
    assert errors_of(train) == [] and errors_of(valid, "validation") == []  # the round trip


def test_stratified_by_label_in_proportion(write, cli):
    path = write("data.jsonl", _classified())
    assert cli("split", path, "--valid", "0.5", "--seed", "1")[0] == 0
    assert _answers(path.with_name("data.valid.jsonl")) == {"positive": 18, "negative": 9, "neutral": 3}


def test_without_stratification_the_shares_follow_the_draw(write, cli):
    path = write("data.jsonl", _classified())
    draws = set()
    for seed in range(5):
        status, _, _ = cli("split", path, "--valid", "0.5", "--seed", seed, "--no-stratify", "--force")
        assert status == 0
        draws.add(tuple(sorted(_answers(path.with_name("data.valid.jsonl")).items())))
    assert len(draws) > 1  # stratified, every seed would give the same shares


def test_same_seed_same_split_and_other_seed_other_split(write, cli):
    path = write("data.jsonl", _classified())
    results = []
    for seed in (3, 3, 4):
        cli("split", path, "--seed", seed, "--force")
        results.append(path.with_name("data.valid.jsonl").read_bytes())
    assert results[0] == results[1] != results[2]


def test_no_duplicate_crosses_the_split(write, cli):
    base = _classified(40)
    near = json.loads(base[0])
    near["messages"][1]["content"] = near["messages"][1]["content"].upper() + "!!"
    lines = base + [base[0], base[5], json.dumps(near)] * 3
    path = write("data.jsonl", lines)
    for seed in range(6):
        assert cli("split", path, "--valid", "0.3", "--seed", seed, "--force")[0] == 0
        train = set(multiset(path.with_name("data.train.jsonl")))
        valid = set(multiset(path.with_name("data.valid.jsonl")))
        copies = {base[0].encode(), base[5].encode(), json.dumps(near).encode()}
        for copy in copies:
            assert not (copy in train and copy in valid)
        near_pair = {base[0].encode(), json.dumps(near).encode()}
        assert near_pair <= train or near_pair <= valid


def test_a_count_instead_of_a_fraction(write, cli):
    path = write("data.jsonl", _classified())
    assert cli("split", path, "--valid", "7")[0] == 0
    assert len(lines_of(path.with_name("data.valid.jsonl"))) == 7


def test_open_ended_answers_are_not_stratified():
    lines = [chat_line(f"Question {n}", f"A long answer that differs every time, number {n}.") for n in range(40)]
    assert classification_labels(read_source("\n".join(lines).encode()).lines) is None
    assert classification_labels(read_source("\n".join(_classified()).encode()).lines) is not None


def test_lines_are_kept_byte_for_byte(write, cli):
    lines = [chat_line(f"Café {n}", LABELS[n % 3]).replace('", "', '",   "') for n in range(30)]
    path = write("data.jsonl", lines, ending="\r\n")
    assert cli("split", path)[0] == 0
    kept = lines_of(path.with_name("data.train.jsonl")) + lines_of(path.with_name("data.valid.jsonl"))
    assert sorted(kept) == sorted(lines_of(path))


def test_refuses_to_overwrite_without_force(write, cli):
    path = write("data.jsonl", _classified())
    existing = path.with_name("data.valid.jsonl")
    existing.write_text("mine\n")
    status, _, err = cli("split", path)
    assert status == 2 and "--force" in err
    assert existing.read_text() == "mine\n" and not path.with_name("data.train.jsonl").exists()
    status, _, err = cli("split", path, "--train-output", path, "--force")
    assert status == 2 and "input" in err


def test_blank_lines_are_reported_and_broken_lines_refused(write, cli):
    path = write("data.jsonl", _classified(20) + [""] + _classified(20)[:1])
    status, out, _ = cli("split", path, "--json")
    assert status == 0 and json.loads(out)["blank_lines"] == [21]
    broken = write("broken.jsonl", _classified(20) + ['{"messages": ['])
    status, _, err = cli("split", broken)
    assert status == 1 and "line 21" in err


def test_validation_size_bounds():
    assert validation_size(100, 0.1) == 10
    assert validation_size(5, 0.01) == 1  # never empty
    assert validation_size(5, 0.99) == 4  # never all
    assert validation_size(50, 12) == 12


def test_split_function_keeps_order_within_each_file():
    lines = read_source("\n".join(_classified()).encode()).lines
    result = split(lines, 0.25, seed=9)
    for part in (result.train, result.valid):
        assert [line.number for line in part] == sorted(line.number for line in part)


def test_outputs_named_by_options(write, cli, tmp_path):
    path = write("data.jsonl", _classified())
    train, valid = tmp_path / "t.jsonl", tmp_path / "v.jsonl"
    status, out, _ = cli("split", path, "--train-output", train, "--valid-output", valid, "--json")
    assert status == 0
    assert json.loads(out)["train"] == {"path": str(train), "examples": 54}
    assert multiset(train, valid) == multiset(path)
    assert not path.with_name("data.train.jsonl").exists()
    assert cli("split", path, "--train-output", train, "--valid-output", train, "--force")[0] == 2  # one file twice
