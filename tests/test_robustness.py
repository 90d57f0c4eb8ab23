"""Bad input never raises: every file gets findings and a normal result."""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st

from helpers import check, check_file_bytes, codes

OK = '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}'


def _no_internal_errors(report):
    assert "internal-error" not in codes(report), [f.message for f in report.findings if f.code == "internal-error"]
    for finding in report.findings:
        assert 0 <= finding.line <= finding.end_line
        assert finding.column >= 0 and finding.end_column >= 0


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_random_bytes(data):
    _no_internal_errors(check_file_bytes(data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["messages", "role", "content", "weight", "tool_calls", "id", "function", "name", "arguments",
                         "type", "tools", "input", "preferred_output", "non_preferred_output", "prompt", "completion",
                         "image_url", "url", "detail", "tool_call_id", "parameters", "x"]), inner, max_size=5),
    max_leaves=25)


@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values, min_size=1, max_size=6))
def test_random_json_lines(values):
    text = "\n".join(json.dumps(value) for value in values) + "\n"
    _no_internal_errors(check(text))
    _no_internal_errors(check_file_bytes(text.encode()))


roles = st.sampled_from(["system", "developer", "user", "assistant", "tool", "function", "bot", 7])
messages = st.fixed_dictionaries({"role": roles}, optional={
    "content": st.none() | st.text(max_size=8) | st.lists(st.fixed_dictionaries(
        {"type": st.sampled_from(["text", "image_url", "refusal"])},
        optional={"text": st.text(max_size=5), "image_url": st.fixed_dictionaries({"url": st.sampled_from(
            ["https://x/a.png", "data:image/png;base64,AAAA", "file:///a", 3])})}), max_size=3),
    "weight": st.sampled_from([0, 1, 1.0, "1", True, 2]),
    "tool_calls": st.lists(st.fixed_dictionaries({"id": st.sampled_from(["a", "b"]), "type": st.just("function"),
                                                  "function": st.fixed_dictionaries({"name": st.sampled_from(["f", "g"]),
                                                  "arguments": st.sampled_from(["{}", '"{}"', "{", {"a": 1}, "[1]"])})}),
                           max_size=2),
    "tool_call_id": st.sampled_from(["a", "b", "c"]),
    "name": st.text(max_size=4),
})


@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messages, max_size=6), st.booleans())
def test_random_conversations(conversation, with_tools):
    example = {"messages": conversation}
    if with_tools:
        example["tools"] = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object",
                                                                                         "required": ["a"]}}}]
    text = json.dumps(example) + "\n"
    _no_internal_errors(check(text))


def test_a_50_mb_single_line():
    line = '{"messages":[{"role":"user","content":"' + "a" * (50 * 1024 * 1024) + '"}'  # and unclosed
    report = check_file_bytes(line.encode(), count_tokens=False)
    _no_internal_errors(report)
    assert "unclosed-bracket" in codes(report)


def test_a_long_valid_line_is_counted_in_pieces():
    # tiktoken's time grows faster than the length on one long word; the piecewise
    # count keeps this to seconds (50 MB: ~15 s) and says where the example is cut.
    line = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a" * 5_000_000}]})
    report = check_file_bytes(line.encode() + b"\n", model="gpt-4o-mini-2024-07-18")
    _no_internal_errors(report)
    assert "example-too-long" in codes(report)
    assert report.summary["tokens"] > 600_000


def _peak_python_memory(path) -> int:
    import tracemalloc
    from helpers import settings
    from finetune_ls.core.engine import check_path
    tracemalloc.start()
    try:
        check_path(str(path), settings(), jobs=1, use_cache=False)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_memory_does_not_grow_with_the_file(tmp_path):
    from helpers import settings
    from finetune_ls.core.engine import check_path
    line = '{"messages":[{"role":"user","content":"Q%d"},{"role":"assistant","content":"' + "answer " * 140 + '"}]}\n'
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_text("".join(line % i for i in range(4_000)), encoding="utf-8")  # ~4 MB of ~1 kB examples
    large.write_text("".join(line % i for i in range(16_000)), encoding="utf-8")  # four times as much
    check_path(str(small), settings(), jobs=1, use_cache=False)  # the encoding and schemas load once, outside
    small_peak, large_peak = _peak_python_memory(small), _peak_python_memory(large)
    # Only the per-example duplicate index (~100 bytes an example) grows; the text is read chunk by chunk.
    assert large_peak < small_peak + 16_000 * 200, (small_peak, large_peak)
    assert large_peak < large.stat().st_size / 3


def test_deep_nesting():
    for data in (b"[" * 100_000 + b"]" * 100_000, b"[" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        report = check_file_bytes(data + b"\n")
        _no_internal_errors(report)
        assert report.has_errors


def test_nul_bytes_and_binary():
    report = check_file_bytes(b"\x00\x01\x02binary" * 100)
    assert codes(report) == ["binary-file"]
    late_nul = (OK + "\n") * 200 + '{"messages":"\x00"}\n'
    report = check_file_bytes(late_nul.encode())
    _no_internal_errors(report)
    assert any(f.code == "json-syntax" and f.line == 200 for f in report.findings)


def test_utf16_file_is_named():
    report = check_file_bytes((OK + "\n").encode("utf-16"))
    assert codes(report) == ["binary-file"] and "UTF-16" in report.findings[0].message


def test_surrogates_and_invalid_utf8():
    text = '{"messages":[{"role":"user","content":"\\ud800 x"},{"role":"assistant","content":"ok"}]}\n'
    report = check(text)
    _no_internal_errors(report)
    assert "invalid-unicode-escape" in codes(report) and report.summary["examples"] == 1
    mixed = (OK + "\n").encode() + b'{"prompt":"\xff\xfe","completion":"x"}\n' + (OK + "\n").encode()
    report = check_file_bytes(mixed)
    assert [f.line for f in report.findings if f.code == "invalid-utf8"] == [1]
    assert report.summary["examples"] == 2


def test_random_line_noise_in_a_real_file():
    rng = random.Random(7)
    lines = [OK] * 300
    for _ in range(60):
        index = rng.randrange(len(lines))
        line = lines[index]
        cut = rng.randrange(len(line))
        lines[index] = line[:cut] + rng.choice(['"', "{", "]", ",", "\n", "\\", "\x00", "é", ""]) + line[cut + 1:]
    text = "\n".join(lines) + "\n"
    _no_internal_errors(check(text))
    _no_internal_errors(check_file_bytes(text.encode()))
