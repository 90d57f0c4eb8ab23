"""Through the `finetune-ls` command run as a process: data-preparation commands on a file
whose name is not UTF-8, numeric options that refuse what is not a finite number in range,
and `complete` given a malformed answer by the stateful fake OpenAI server over HTTP."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from fake_openai import SENTINEL_KEY

TIMEOUT = 60
CHAT = '{"messages":[{"role":"user","content":"q%d"},{"role":"assistant","content":"a%d"}]}\n'
PROMPT = '{"prompt":"p%d","completion":"c%d"}\n'
# The environments a terminal gives: surrogates written as raw bytes (a C.UTF-8 locale), or
# refused (a UTF-8 locale where Python's stdout is strict, as PYTHONIOENCODING=utf-8 makes it).
STDOUTS = [{}, {"PYTHONIOENCODING": "utf-8"}]


def run(cli_path: str, *args, cwd=None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([cli_path, *args], capture_output=True, cwd=cwd, timeout=TIMEOUT,
                          env={**os.environ, "FINETUNE_LS_DEBUG": "", **(env or {})}, stdin=subprocess.DEVNULL)


def one_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8")
    assert text.count("\n") == 1 and "Traceback" not in text and "internal error" not in text, text
    return text


# ---------------------------------------------------------------- 12: names that are not UTF-8
@pytest.fixture
def latin1_names(tmp_path):
    """tr\\xe9in.jsonl and d\\xe9.csv, named by bytes that are not UTF-8, in a folder of their own
    (beside the tests' cache folder, which holds the encoding's parsed ranks once a command counts)."""
    (tmp_path / "names").mkdir()
    tmp_path = tmp_path / "names"
    folder = os.fsencode(tmp_path)
    with open(folder + b"/tr\xe9in.jsonl", "w", encoding="utf-8") as stream:
        stream.write("".join(CHAT % (i, i) for i in range(20)))
    with open(folder + b"/d\xe9.csv", "w", encoding="utf-8") as stream:
        stream.write("prompt,completion\n" + "".join(f"q{i},a{i}\n" for i in range(12)))
    return tmp_path


IN = b"tr\xe9in.jsonl"
PREP_CASES = {  # the command line, the files it makes, what its text report shows, what its JSON names
    "split": (["split", IN], [b"tr\xe9in.train.jsonl", b"tr\xe9in.valid.jsonl"],
              ["tr\\xe9in.train.jsonl: 18 examples", "tr\\xe9in.valid.jsonl: 2 examples"],
              ["tr\\xe9in.train.jsonl", "tr\\xe9in.valid.jsonl"]),
    "dedupe": (["dedupe", IN], [b"tr\xe9in.dedup.jsonl"], ["tr\\xe9in.dedup.jsonl: kept 20"],
               ["tr\\xe9in.dedup.jsonl"]),
    "redact": (["redact", IN], [b"tr\xe9in.redacted.jsonl"], ["tr\\xe9in.redacted.jsonl: 0 replacement"],
               ["tr\\xe9in.redacted.jsonl"]),
    "stats-plot": (["stats", "--plot", b"pl\xe9t.svg", IN], [b"pl\xe9t.svg"],
                   ["file                   tr\\xe9in.jsonl"], ["pl\\xe9t.svg"]),
    "stats": (["stats", IN], [], ["file                   tr\\xe9in.jsonl"], None),  # its JSON names no file
    "convert": (["convert", b"d\xe9.csv"], [b"d\xe9.chat.jsonl"], ["examples to d\\xe9.chat.jsonl"],
                ["d\\xe9.chat.jsonl", "d\\xe9.csv"]),
}


@pytest.mark.parametrize("env", STDOUTS, ids=["raw", "strict"])
@pytest.mark.parametrize("args, made, named, as_json", [
    pytest.param(args, made, json_names if as_json else text_names, as_json,
                 id=f"{name}-{'json' if as_json else 'text'}")
    for name, (args, made, text_names, json_names) in PREP_CASES.items() for as_json in (False, True)
    if not as_json or json_names])
def test_prep_commands_on_a_name_that_is_not_utf8(cli_path, latin1_names, args, made, named, as_json, env):
    """The outputs are written beside the input under the input's own bytes, and the report
    is valid UTF-8 naming them with \\xe9 escapes, as `check` shows them."""
    done = run(cli_path, *args, *(["--json"] if as_json else []), cwd=latin1_names, env=env)
    assert done.returncode == 0, done.stderr
    assert sorted(made) == sorted(set(os.listdir(os.fsencode(latin1_names))) - {IN, b"d\xe9.csv"})
    out = done.stdout.decode("utf-8")  # raises on the raw bytes of the name
    if as_json:
        assert set(named) <= set(strings(json.loads(out))), out
    else:
        assert all(name in out for name in named), out
    svg = os.path.join(os.fsencode(latin1_names), b"pl\xe9t.svg")
    if os.path.exists(svg):  # the plot's title names the input
        with open(svg, encoding="utf-8") as stream:
            assert "tr\\xe9in.jsonl" in stream.read()


def strings(value) -> list[str]:
    """Every text in a JSON value, keys excepted."""
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in strings(item)]


def test_a_refused_output_with_a_name_that_is_not_utf8_is_one_line(cli_path, latin1_names):
    first = run(cli_path, "dedupe", b"tr\xe9in.jsonl", cwd=latin1_names)
    assert first.returncode == 0, first.stderr
    again = run(cli_path, "dedupe", b"tr\xe9in.jsonl", cwd=latin1_names, env={"PYTHONIOENCODING": "utf-8"})
    assert again.returncode == 2
    assert "tr\\xe9in.dedup.jsonl exists; use --force" in one_line(again.stderr)


# ---------------------------------------------------------------- 13: malformed answers to `complete`
class Api:
    """`finetune-ls complete` against the fake, with the sentinel key."""

    def __init__(self, cli_path, fake, folder):
        self.cli_path, self.fake, self.folder, self.outputs = cli_path, fake, folder, []

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        env = {"OPENAI_BASE_URL": self.fake.base_url, "OPENAI_API_KEY": SENTINEL_KEY}
        done = run(self.cli_path, *args, "--max-retries", "0", "--timeout", "10", cwd=self.folder, env=env)
        self.outputs += [done.stdout, done.stderr]
        return done


@pytest.fixture
def api(cli_path, fake_openai, tmp_path):
    (tmp_path / "chat.jsonl").write_text("".join(CHAT % (i, i) for i in range(3)), encoding="utf-8")
    (tmp_path / "prompt.jsonl").write_text("".join(PROMPT % (i, i) for i in range(3)), encoding="utf-8")
    calling = Api(cli_path, fake_openai, tmp_path)
    yield calling
    assert SENTINEL_KEY.encode() not in b"".join(calling.outputs)


JSON = "application/json"
CHAT_ROUTE, PROMPT_ROUTE = "POST /v1/chat/completions", "POST /v1/completions"
MALFORMED = [
    (CHAT_ROUTE, [], JSON, "is not a JSON object but a list"),
    (CHAT_ROUTE, {"choices": None}, JSON, "has no list of choices (its choices are null)"),
    (CHAT_ROUTE, {"choices": []}, JSON, "has no choices"),
    (CHAT_ROUTE, {"choices": [{"index": 0, "message": {"role": "assistant"}}]}, JSON, "a message without content"),
    (CHAT_ROUTE, {"choices": [{"index": 0}]}, JSON, "a message without content"),
    (CHAT_ROUTE, b"<html>Sign in to the proxy</html>", JSON, "is not JSON"),
    (PROMPT_ROUTE, {"choices": [{"index": 0}]}, JSON, "a choice without text"),
    (PROMPT_ROUTE, {"choices": None}, JSON, "has no list of choices"),
]
MALFORMED_IDS = ["list", "choices-null", "choices-empty", "no-content", "no-message", "not-json",
                 "prompt-no-text", "prompt-choices-null"]


@pytest.mark.parametrize("route, body, content_type, expected", MALFORMED, ids=MALFORMED_IDS)
def test_complete_given_a_malformed_answer_is_one_sentence_and_exit_status_1(api, fake_openai, route, body,
                                                                              content_type, expected):
    fake_openai.answer_next(route, body, content_type=content_type)
    path = "chat.jsonl" if route == CHAT_ROUTE else "prompt.jsonl"
    done = api("complete", "gpt-4.1-mini-2025-04-14", path, "--line", "2")
    assert done.returncode == 1, done.stderr
    said = one_line(done.stderr)
    assert expected in said and "OpenAI-compatible" in said, said
    again = api("complete", "gpt-4.1-mini-2025-04-14", path, "--line", "2", "--json")  # the fault was one answer
    assert again.returncode == 0 and json.loads(again.stdout)["expected"] in ("a1", "c1"), again.stderr


# ---------------------------------------------------------------- 14: numeric options
NUMBERS = [  # the command line before the option, the option, a value it refuses
    (["jobs", "events", "ftjob-x", "--follow"], "--poll", "inf"),
    (["jobs", "events", "ftjob-x", "--follow"], "--poll", "nan"),
    (["jobs", "events", "ftjob-x", "--follow"], "--poll", "0"),
    (["jobs", "list"], "--timeout", "inf"),
    (["jobs", "list"], "--timeout", "nan"),
    (["jobs", "list"], "--timeout", "1e999"),
    (["jobs", "list"], "--timeout", "-1"),
    (["files", "list"], "--max-retries", "-1"),
    (["jobs", "list"], "--limit", "0"),
    (["files", "list"], "--limit", "nan"),
    (["jobs", "create", "file-x", "--model", "m", "--yes"], "--learning-rate-multiplier", "inf"),
    (["jobs", "create", "file-x", "--model", "m", "--yes"], "--learning-rate-multiplier", "nan"),
    (["jobs", "create", "file-x", "--model", "m", "--yes"], "--learning-rate-multiplier", "0"),
    (["jobs", "create", "file-x", "--model", "m", "--yes"], "--beta", "inf"),
    (["jobs", "create", "file-x", "--model", "m", "--yes"], "--beta", "3"),
    (["jobs", "create", "file-x", "--model", "m", "--yes"], "--batch-size", "0"),
    (["jobs", "create", "file-x", "--model", "m", "--yes"], "--epochs", "51"),
    (["jobs", "create", "file-x", "--model", "m", "--yes"], "--seed", "-1"),
    (["complete", "m", "data.jsonl"], "--line", "0"),
    (["complete", "m", "data.jsonl"], "--max-tokens", "0"),
    (["check", "data.jsonl"], "--epochs", "inf"),
    (["check", "data.jsonl"], "--jobs", "0"),
    (["split", "data.jsonl"], "--seed", "nan"),
]


@pytest.mark.parametrize("before, option, value", NUMBERS, ids=[f"{o}={v}" for _, o, v in NUMBERS])
def test_a_number_out_of_range_is_a_usage_error_naming_the_option(cli_path, fake_openai, tmp_path, before, option,
                                                                   value):
    """Exit status 2 and one line naming the option and the value, before anything is sent."""
    (tmp_path / "data.jsonl").write_text("".join(CHAT % (i, i) for i in range(12)), encoding="utf-8")
    env = {"OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_API_KEY": SENTINEL_KEY}
    done = run(cli_path, *before, f"{option}={value}", cwd=tmp_path, env=env)
    said = one_line(done.stderr)
    assert done.returncode == 2, said
    assert f"argument {option}: must be " in said and f"not {value!r}" in said, said
    assert "Error" not in said and SENTINEL_KEY not in said
    assert not fake_openai.requests  # refused before any call
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["data.jsonl"]
