"""An open-weight target's check against its tokenizer's own floor (issue 15: within 1.5x).

    python bench/open_weight.py --tokenizer DIR [--size-mb 20] [--path FILE] [--jobs N]

Makes a synthetic chat file (~20 MB: system prompts, one to three turns, some tools, varied
text), renders every example with the model's chat template (not timed), and prints:
- the floor: one `encode_batch` of every rendered example (the Rust library's threads over all
  cores), and a single-thread `encode` of each, divided by the cores;
- a cold check: `check_path(FILE, target trl, the tokenizer folder, jobs=cores, no cache)`;
- the same check in one process against the single-thread encode (robust on a busy machine);
- the ratio of the check to the floor. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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
    args = parser.parse_args(argv)

    from finetune_ls.core.chat_template import SPECIAL_TOKEN_NAMES, compiled_template
    from finetune_ls.core.engine import CheckSettings, check_path
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
        started = time.perf_counter()
        batch = tokenizer.encode_batch(texts, add_special_tokens=False)
        batch_time = time.perf_counter() - started
        started = time.perf_counter()
        for text in texts:
            tokenizer.encode(text, add_special_tokens=False)
        single_time = time.perf_counter() - started
        tokens = sum(len(encoding.ids) for encoding in batch)
        print(f"rendering every example (python jinja2, not in the floor): {render_time:.2f} s")
        print(f"floor, encode_batch over {cores} cores: {batch_time:.2f} s ({tokens:,} tokens)")
        print(f"floor, single-thread encode: {single_time:.2f} s; / {cores} cores = {single_time / cores:.2f} s")

        settings = CheckSettings(target="trl", model=args.model, tokenizer=args.tokenizer)
        started = time.perf_counter()
        report = check_path(str(path), settings, jobs=args.jobs, use_cache=False)
        check_time = time.perf_counter() - started
        print(f"cold check (check_path, target trl, jobs={args.jobs}): {check_time:.2f} s, "
              f"tokens {report.summary.get('tokens'):,} (floor counted {tokens:,})")
        from finetune_ls.core import analysis

        analysis._template_counters.clear()  # cold again: the counter's cache of renderings goes
        started = time.perf_counter()
        check_path(str(path), settings, jobs=1, use_cache=False)
        serial_time = time.perf_counter() - started
        print(f"cold check, one process (jobs=1): {serial_time:.2f} s; / single-thread encode: "
              f"{serial_time / single_time:.2f}x (a shared machine's cores blur the parallel ratio; this one does not)")
        floor = min(batch_time, single_time / cores)
        print(f"ratio check / floor: {check_time / floor:.2f}x (issue 15's target: <= 1.5x); "
              f"check / (render + floor): {check_time / (render_time / cores + floor):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
