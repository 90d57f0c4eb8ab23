"""Token counts: the bundled encodings, the model -> encoding map, the formula."""

from __future__ import annotations

import base64
import io

import pytest

from finetune_ls.core import encodings
from finetune_ls.core.catalog import bundled_catalog
from finetune_ls.core.images import image_tokens, inspect_url
from finetune_ls.core.tokens import TokenCounter


def test_bundled_encodings_give_the_known_ids():
    # Reference ids published with tiktoken's own tests and docs.
    assert encodings.get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]
    assert encodings.get_encoding("o200k_base").encode_ordinary("hello world") == [24912, 2375]
    assert encodings.get_encoding("o200k_base").n_vocab == 200019
    assert encodings.get_encoding("cl100k_base").n_vocab == 100277


def test_a_tampered_encoding_file_is_refused():
    with pytest.raises(encodings.EncodingUnavailable, match="sha256"):
        encodings._bundled_ranks("https://x/o200k_base.tiktoken", expected_hash="0" * 64)
    with pytest.raises(encodings.EncodingUnavailable):
        encodings.get_encoding("p50k_base")


def test_the_parsed_ranks_kept_in_the_cache_give_the_same_ids(tmp_path):
    """The ranks are kept parsed in the user's cache folder for the next start; a damaged copy
    is parsed again from the bundled file."""
    import subprocess
    import sys

    script = ("from finetune_ls.core.encodings import get_encoding; "
              "print(get_encoding('o200k_base').encode_ordinary('hello world, héllo 😀'))")
    env = {**__import__("os").environ, "FINETUNE_LS_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout]
    copies = list((tmp_path / "encodings").glob("*.ranks"))
    assert len(copies) == 1 and copies[0].stat().st_size > 1_000_000
    runs.append(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout)
    copies[0].write_bytes(copies[0].read_bytes()[:1000])  # damaged
    runs.append(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout)
    assert runs[0] == runs[1] == runs[2] and runs[0].startswith("[24912, 2375")
    assert copies[0].stat().st_size > 1_000_000  # written again


def test_model_to_encoding_is_ours_not_tiktokens():
    catalog = bundled_catalog()
    # tiktoken's own map sends ft:gpt-4.1-... to cl100k_base (the ft:gpt-4 prefix wins).
    assert catalog.encoding_for("ft:gpt-4.1-2025-04-14:acme:x:abc") == "o200k_base"
    assert catalog.encoding_for("ft:o4-mini-2025-04-16:acme::abc") == "o200k_base"
    assert catalog.encoding_for("gpt-4-0613") == "cl100k_base"
    assert catalog.encoding_for("babbage-002") == "cl100k_base"
    assert catalog.encoding_for("gpt-4o-2099-01-01") == "o200k_base"
    assert catalog.encoding_for("something-new") == "o200k_base"


def test_chat_formula():
    counter = TokenCounter("o200k_base")
    text = counter.text
    example = {"messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "2+2?"},
                            {"role": "assistant", "content": "4"}]}
    expected = 3 + sum(3 + text(m["role"]) + text(m["content"]) for m in example["messages"])
    counted = counter.chat(example)
    assert counted.total == expected
    assert counted.trained == 3 + text("assistant") + text("4")


def test_weight_zero_is_not_trained_and_names_cost_one_more():
    counter = TokenCounter("o200k_base")
    example = {"messages": [{"role": "user", "content": "Hi", "name": "ann"},
                            {"role": "assistant", "content": "Hello", "weight": 0},
                            {"role": "assistant", "content": "Bye", "weight": 1}]}
    counted = counter.chat(example)
    text = counter.text
    assert counted.trained == 3 + text("assistant") + text("Bye")
    assert counted.total == 3 + (3 + text("user") + text("Hi") + text("ann") + 1) + \
        (3 + text("assistant") + text("Hello")) + (3 + text("assistant") + text("Bye"))


def test_special_token_text_is_counted_not_refused():
    counter = TokenCounter("o200k_base")
    assert counter.text("<|endoftext|>") > 1


def test_preference_and_prompt_completion():
    counter = TokenCounter("o200k_base")
    dpo = {"input": {"messages": [{"role": "user", "content": "Hi"}]},
           "preferred_output": [{"role": "assistant", "content": "Hello"}],
           "non_preferred_output": [{"role": "assistant", "content": "Go away"}]}
    counted = counter.preference(dpo)
    assert counted.trained == (3 + counter.text("assistant") + counter.text("Hello")) + \
        (3 + counter.text("assistant") + counter.text("Go away"))
    legacy = counter.prompt_completion({"prompt": "2+2 ->", "completion": " 4"})
    assert legacy.total == counter.text("2+2 ->") + counter.text(" 4") and legacy.trained == counter.text(" 4")


def _png_data_url(width, height):
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_image_tokens():
    assert image_tokens("low", None, None) == 85
    assert image_tokens("high", 1024, 1024) == 765
    assert image_tokens("high", 2048, 4096) == 85 + 170 * 6  # fit 2048, shortest side 768: 768x1536
    facts = inspect_url(_png_data_url(300, 200))
    assert (facts.problem, facts.width, facts.height) == (None, 300, 200)
    counter = TokenCounter("o200k_base")
    example = {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": _png_data_url(300, 200)}}]},
                            {"role": "assistant", "content": "ok"}]}
    counted = counter.chat(example)
    assert counted.images == 1 and counted.estimated


def test_image_data_url_problems():
    assert inspect_url("ftp://x/a.png").problem == "url"
    assert inspect_url("data:image/png,raw").problem == "url"
    assert inspect_url("data:image/gif;base64,R0lGODlhAQABAAAAACw=").problem == "format"
    mislabeled = _png_data_url(4, 4).replace("image/png", "image/jpeg")
    assert inspect_url(mislabeled).problem == "format"
    assert inspect_url("data:image/png;base64," + "A" * 14_000_004).problem == "size"
