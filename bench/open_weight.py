"""An open-weight target's check against its tokenizer's own floor (issue 15: within 1.5x).

    python bench/open_weight.py --tokenizer DIR [--size-mb 20] [--path FILE] [--jobs N] [--rounds 3]

Makes a synthetic chat file (~20 MB: system prompts, one to three turns, some tools, varied
text), renders every example with the model's chat template (timed, not in a floor), and prints,
per round (the floors and the check alternate: a shared machine's speed drifts):
- floor A, the issue's definition: the tokenizer's single-thread `encode` of every rendered
  example, divided by the cores;
- floor B, stricter: one `encode_batch` of all of them (the Rust library's threads over all cores,
  cheaper per token than one call per example);
- a cold check: the CLI in a new process (`check FILE --target trl --tokenizer DIR --no-cache`),
  start-up and the tokenizer's loading included;
- the check's ratio to each floor per round, and the medians. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("the model reads every line of the file and counts tokens per message while the trainer waits "
         "for data that fits the context window numbers like 42 and 3.14 or names such as Zürich "
         "and Kraków appear too").split()
TOOLS = [{"type": "function", "function": {"name": "lookup", "description": "Find a record",
                                           "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}}]


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def make_file(path: Path, size_mb: float, seed: int = 15) -> int:
    rng = random.Random(seed)
    systems = [_text(rng, 10, 40) for _ in range(20)]
    target = int(size_mb * 1024 * 1024)
    written = lines = 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            messages = [{"role": "system", "content": rng.choice(systems)}]
            for _ in range(rng.randint(1, 3)):
                messages.append({"role": "user", "content": _text(rng, 5, 60)})
                messages.append({"role": "assistant", "content": _text(rng, 10, 120)})
            row = {"messages": messages}
            if rng.random() < 0.1:
                row["tools"] = TOOLS
            line = json.dumps(row, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            lines += 1
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", required=True, help="a model folder with tokenizer.json (e.g. ../shared/tokenizers/qwen3)")
    parser.add_argument("--model", default="Qwen/Qwen3-8B")
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--path", help="check this file instead of a synthetic one")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3, help="floor and check, alternated (default 3)")
    args = parser.parse_args(argv)

    from finetune_ls.core.chat_template import SPECIAL_TOKEN_NAMES, compiled_template
    from finetune_ls.core.hf_tokenizer import load_tokenizer, resolve_tokenizer

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(args.path) if args.path else Path(scratch) / "chat.jsonl"
        if not args.path:
            lines = make_file(path, args.size_mb)
            print(f"file: {path.stat().st_size / 1e6:.1f} MB, {lines:,} examples (synthetic)")
        loaded = load_tokenizer(resolve_tokenizer(args.model, args.tokenizer))
        template = compiled_template(loaded.chat_template, {n: loaded.special_token(n) for n in SPECIAL_TOKEN_NAMES})
        started = time.perf_counter()
        texts = []
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts.append(template.render(row["messages"], row.get("tools")).text)
        render_time = time.perf_counter() - started
        cores = os.cpu_count() or 1
        tokenizer = loaded.tokenizer
        command = [sys.executable, "-m", "finetune_ls", "check", str(path), "--target", "trl", "--model", args.model,
                   "--tokenizer", args.tokenizer, "--no-cache", "--jobs", str(args.jobs), "--format", "json"]
        # The floors and the check alternate, `--rounds` times: a shared machine's speed drifts within
        # a minute, and both sides of a ratio should see the same drift.
        batches, singles, checks, tokens, counted = [], [], [], 0, None
        for _ in range(args.rounds):
            started = time.perf_counter()
            batch = tokenizer.encode_batch(texts, add_special_tokens=False)
            batches.append(time.perf_counter() - started)
            tokens = sum(len(encoding.ids) for encoding in batch)
            del batch
            started = time.perf_counter()
            for text in texts:
                tokenizer.encode(text, add_special_tokens=False)
            singles.append((time.perf_counter() - started) / cores)
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            checks.append(time.perf_counter() - started)
            counted = json.loads(done.stdout)["files"][0]["summary"]["tokens"]

        def listed(values, unit=" s"):
            return ", ".join(f"{value:.2f}" for value in values) + unit

        print(f"rendering every example (python jinja2, not in the floor): {render_time:.2f} s")
        print(f"floor A, the issue's: single-thread encode of every rendered example / {cores} cores: {listed(singles)}")
        print(f"floor B, stricter: one encode_batch over {cores} cores (the library's threads): {listed(batches)} "
              f"({tokens:,} tokens)")
        print(f"cold check (the CLI in a new process, start-up and the tokenizer's loading included: "
              f"`check --target trl --no-cache --jobs {args.jobs}`): {listed(checks)}; tokens {counted:,}")
        over_a = [check / floor for floor, check in zip(singles, checks)]
        over_b = [check / floor for floor, check in zip(batches, checks)]
        print(f"check / floor A: {listed(over_a, 'x')}; median {statistics.median(over_a):.2f}x "
              f"(issue 15's target: <= 1.5x)")
        print(f"check / floor B: {listed(over_b, 'x')}; median {statistics.median(over_b):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
