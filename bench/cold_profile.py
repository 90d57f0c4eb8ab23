"""Where a cold check's CPU goes, stage by stage, on one core.

    python bench/cold_profile.py [FILE] [--rounds 3] [--model gpt-4o-mini-2024-07-18]

Issue 17 asks for the breakdown of the per-line path (parse, shape, schema, checks, tokens,
privacy, fold) and what the gap to the tokenizer floor is made of. Profilers distort a path
made of many small Python calls, so each stage is measured by adding it: the same lines
are run through the check with one more stage switched on each time, in one process, each
configuration `--rounds` times, in a shuffled order each round; a stage's cost is the
difference of the minima (within about ±0.05 s on a quiet machine: a negative figure is noise).
Also measured, in the same process: the floor (the tokenizer's `encode_ordinary` of every
message text, in one tight loop, as bench/floor.py times it), the fold of the results in the
parent (core/aggregate.py), the start of a CLI process (a one-line file) and the build of
the encoding. The CLI's cold check spreads the per-line stages over the cores; the start,
the encoding's build and the fold are not spread.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from floor import message_texts  # noqa: E402

from finetune_ls.core import analysis, private_scan  # noqa: E402
from finetune_ls.core.aggregate import FileAggregator  # noqa: E402
from finetune_ls.core.analysis import FileContext, parse  # noqa: E402
from finetune_ls.core.cache import line_key  # noqa: E402
from finetune_ls.core.encodings import get_encoding  # noqa: E402
from finetune_ls.core.entries import chunk_of, line_entries  # noqa: E402
from finetune_ls.core.lines import split_lines_bytes  # noqa: E402
from finetune_ls.core.shapes import CHAT  # noqa: E402

CHUNK_LINES = 4000  # about what one chunk of the CLI holds on the bench file


def _cpu(work) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def _chunks(lines: list[bytes]):
    return [lines[at:at + CHUNK_LINES] for at in range(0, len(lines), CHUNK_LINES)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=BENCH / "out" / "chat_50mb.jsonl")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--model", default="gpt-4o-mini-2024-07-18")
    parser.add_argument("--encoding", default="o200k_base")
    args = parser.parse_args(argv)
    if not args.file.exists():
        subprocess.run([sys.executable, str(BENCH / "gen_chat.py"), "--mb", "50", "--out", str(args.file)], check=True)

    build = _cpu(lambda: get_encoding(args.encoding))
    data = args.file.read_bytes()
    chunks = _chunks(split_lines_bytes(data)[:-1])
    texts = message_texts(str(args.file))
    encode = get_encoding(args.encoding).encode_ordinary
    private_scan.prepare()

    def context(tokens: bool, privacy: bool) -> FileContext:
        return FileContext(CHAT, encoding=args.encoding if tokens else None, context_limit=128_000,
                           model=args.model, privacy=privacy)

    untokenized, unprivate, full = context(False, False), context(False, True), context(True, True)
    analysis.counter_for(full)
    results: list = []
    stages = {
        "split the bytes into lines": lambda: [split_lines_bytes(data)],
        "+ parse every line (orjson)": lambda: [[parse(raw) for raw in chunk] for chunk in chunks],
        "+ shape, schema, checks, digest, widths": lambda: [line_entries(chunk, untokenized) for chunk in chunks],
        "+ privacy rules": lambda: [line_entries(chunk, unprivate) for chunk in chunks],
        "+ tokens: the whole per-line path": lambda: results.__setitem__(
            slice(None), [line_entries(chunk, full) for chunk in chunks]),
        "+ the cache's line keys": lambda: [([line_key(raw) for raw in chunk], line_entries(chunk, full))
                                           for chunk in chunks],
        "floor: encode_ordinary of every text": lambda: [encode(text) for text in texts],
    }
    timings: dict[str, list[float]] = {name: [] for name in stages}
    order = list(stages)
    shuffler = random.Random(17)
    for _ in range(args.rounds):
        shuffler.shuffle(order)  # this machine's speed drifts within a minute: no stage always runs last
        for name in order:
            timings[name].append(_cpu(stages[name]))
    fold_times = []
    for _ in range(args.rounds):
        packed = [chunk_of(entries) for entries in results]
        aggregator = FileAggregator(full)
        fold_times.append(_cpu(lambda: [aggregator.append_chunk(chunk) for chunk in packed]))
    best = {name: min(values) for name, values in timings.items()}
    start = _process_start(args.model)

    print(f"file: {args.file} ({len(data) / 1e6:.1f} MB, {sum(map(len, chunks)):,} lines), one core, "
          f"minimum of {args.rounds} rounds, CPU seconds")
    rows = [
        ("read into lines", best["split the bytes into lines"]),
        ("parse (orjson)", best["+ parse every line (orjson)"] - best["split the bytes into lines"]),
        ("shape, schema, checks, digest, widths",
         best["+ shape, schema, checks, digest, widths"] - best["+ parse every line (orjson)"]),
        ("privacy rules", best["+ privacy rules"] - best["+ shape, schema, checks, digest, widths"]),
        ("tokens (counting, incl. the encoder)", best["+ tokens: the whole per-line path"] - best["+ privacy rules"]),
        ("the cache's line keys (sha256)",
         best["+ the cache's line keys"] - best["+ tokens: the whole per-line path"]),
    ]
    per_line = sum(value for _, value in rows)
    print(f"{'stage':44} {'CPU s':>7} {'share':>6}")
    for name, value in rows:
        print(f"{name:44} {value:7.3f} {value / per_line:6.1%}")
    print(f"{'per-line path, all stages':44} {per_line:7.3f}")
    print(f"{'floor: encode_ordinary of every text':44} {best['floor: encode_ordinary of every text']:7.3f}"
          f"   (per-line path / floor: {per_line / best['floor: encode_ordinary of every text']:.2f})")
    print(f"{'not spread over the cores:':44}")
    print(f"{'  fold of the results (parent)':44} {min(fold_times):7.3f}")
    print(f"{'  build of the encoding':44} {build:7.3f}")
    print(f"{'  start of a CLI process (1-line file, wall)':44} {start:7.3f}")
    return 0


def _process_start(model: str) -> float:
    """Wall seconds of `finetune-ls check` on a one-line file (imports, settings, output)."""
    with tempfile.TemporaryDirectory() as folder:
        one = Path(folder) / "one.jsonl"
        one.write_text('{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}\n')
        command = [sys.executable, "-m", "finetune_ls", "check", str(one), "--format", "json", "--model", model,
                   "--no-cache"]
        env = {**os.environ, "FINETUNE_LS_CACHE_DIR": folder}
        times = []
        for _ in range(3):
            began = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False)
            times.append(time.perf_counter() - began)
    return min(times)


if __name__ == "__main__":
    raise SystemExit(main())
