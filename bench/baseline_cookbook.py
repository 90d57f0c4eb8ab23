"""The straightforward baseline: OpenAI's cookbook `Chat_finetuning_data_prep.ipynb`, as a script.

    python bench/baseline_cookbook.py PATH [--encoding o200k_base] [--max-tokens 16385]

Same structure as the notebook (list of json.loads'd lines, format-error loop, per-message
`encoding.encode`, assistant tokens counted separately, epoch heuristic, billing tokens),
with the changes a careful user makes so it runs on a current file without crashing:
* allowed keys/roles include tool_calls, tool_call_id, weight, name, function_call and
  the tool/function/developer roles; content may be null next to tool_calls/function_call
  and may be a list of text parts;
* only text is encoded: strings, the text of content parts, and a tool call's function
  name and arguments (the notebook would pass ints, lists and None to `encode` and crash);
* `encode(..., disallowed_special=())`, because plain `encode` raises on a literal
  `<|endoftext|>` in user data.

`--lean` is the quickest cookbook-style checker a user would write (issue 17 asks for a
cookbook-style checker's ratio on "both baselines"): the same checks and counts, with
orjson for the lines and `encode_ordinary` (no special-token handling) for the texts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict

from finetune_ls.core.encodings import get_encoding

ALLOWED_KEYS = ("role", "content", "name", "function_call", "weight", "tool_calls", "tool_call_id")
ALLOWED_ROLES = ("system", "user", "assistant", "tool", "function", "developer")

# The notebook's constants.
MAX_TOKENS_PER_EXAMPLE = 16385
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def format_errors(dataset):
    errors = defaultdict(int)
    for ex in dataset:
        if not isinstance(ex, dict):
            errors["data_type"] += 1
            continue
        messages = ex.get("messages", None)
        if not messages:
            errors["missing_messages_list"] += 1
            continue
        for message in messages:
            if "role" not in message or "content" not in message:
                errors["message_missing_key"] += 1
            if any(k not in ALLOWED_KEYS for k in message):
                errors["message_unrecognized_key"] += 1
            if message.get("role", None) not in ALLOWED_ROLES:
                errors["unrecognized_role"] += 1
            content = message.get("content", None)
            calls = message.get("function_call", None) or message.get("tool_calls", None)
            if content is None:
                if not calls:
                    errors["missing_content"] += 1
            elif isinstance(content, list):
                if not all(isinstance(p, dict) and p.get("type") == "text" for p in content):
                    errors["missing_content"] += 1
            elif not content or not isinstance(content, str):
                errors["missing_content"] += 1
        if not any(message.get("role", None) == "assistant" for message in messages):
            errors["example_missing_assistant_message"] += 1
    return errors


def make_counters(encoding, lean: bool = False):
    def encode(text):
        return encoding.encode_ordinary(text) if lean else encoding.encode(text, disallowed_special=())

    def n_tokens(value):
        """Tokens of a message value; only text counts (see the module docstring)."""
        if isinstance(value, str):
            return len(encode(value))
        if isinstance(value, list):  # content parts or tool_calls
            total = 0
            for item in value:
                if isinstance(item, dict):
                    if item.get("type") == "text":
                        total += n_tokens(item.get("text"))
                    fn = item.get("function")
                    if isinstance(fn, dict):
                        total += n_tokens(fn.get("name")) + n_tokens(fn.get("arguments"))
            return total
        if isinstance(value, dict):  # legacy function_call
            return n_tokens(value.get("name")) + n_tokens(value.get("arguments"))
        return 0  # weight, None

    def num_tokens_from_messages(messages, tokens_per_message=3, tokens_per_name=1):
        num_tokens = 0
        for message in messages:
            num_tokens += tokens_per_message
            for key, value in message.items():
                num_tokens += n_tokens(value)
                if key == "name":
                    num_tokens += tokens_per_name
        num_tokens += 3
        return num_tokens

    def num_assistant_tokens_from_messages(messages):
        return sum(n_tokens(m.get("content")) for m in messages if m["role"] == "assistant")

    return num_tokens_from_messages, num_assistant_tokens_from_messages


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="cookbook-style baseline checker")
    ap.add_argument("path")
    ap.add_argument("--encoding", default="o200k_base")
    ap.add_argument("--max-tokens", type=int, default=MAX_TOKENS_PER_EXAMPLE,
                    help="per-example limit for the too-long count (notebook: 16385)")
    ap.add_argument("--lean", action="store_true", help="orjson and encode_ordinary (see the module docstring)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()

    if args.lean:
        import orjson

        with open(args.path, "rb") as f:
            dataset = [orjson.loads(line) for line in f]
    else:
        with open(args.path, "r", encoding="utf-8") as f:
            dataset = [json.loads(line) for line in f]
    print("Num examples:", len(dataset))

    errors = format_errors(dataset)
    if errors:
        print("Found errors:")
        for k, v in sorted(errors.items()):
            print(f"  {k}: {v}")
    else:
        print("No errors found")

    encoding = get_encoding(args.encoding)
    count_all, count_assistant = make_counters(encoding, args.lean)
    n_missing_system = n_missing_user = 0
    n_messages, convo_lens, assistant_lens = [], [], []
    for ex in dataset:
        messages = ex["messages"]
        if not any(m["role"] == "system" for m in messages):
            n_missing_system += 1
        if not any(m["role"] == "user" for m in messages):
            n_missing_user += 1
        n_messages.append(len(messages))
        convo_lens.append(count_all(messages))
        assistant_lens.append(count_assistant(messages))
    n_too_long = sum(n > args.max_tokens for n in convo_lens)
    print("Num examples missing system message:", n_missing_system)
    print("Num examples missing user message:", n_missing_user)
    print("Total messages:", sum(n_messages))
    print("Total tokens:", sum(convo_lens))
    print("Total assistant tokens:", sum(assistant_lens))
    print(f"{n_too_long} examples may be over the {args.max_tokens} token limit")

    n_epochs = TARGET_EPOCHS
    n_train = len(dataset)
    if n_train * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        n_epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_train)
    elif n_train * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        n_epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_train)
    billing_tokens = sum(min(args.max_tokens, n) for n in convo_lens)
    print(f"Dataset has ~{billing_tokens} tokens that will be charged for during training")
    print(f"By default, you'll train for {n_epochs} epochs on this dataset")
    print(f"By default, you'll be charged for ~{n_epochs * billing_tokens} tokens")
    print(f"seconds: {time.perf_counter() - t0:.2f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
