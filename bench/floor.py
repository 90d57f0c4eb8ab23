"""The floor: one core's tiktoken encoding of every message text, divided by the core count.

    python bench/floor.py PATH [--encoding o200k_base] [--json]

Parsing and the encoding load are not timed: only the single-process loop
`for t in texts: enc.encode_ordinary(t)`, which is ~87 % of a full check's CPU work
(shared/reference/perf-probe.md). A checker spread perfectly over all cores, with
parsing and checks for free, would take `encode_seconds / cores`.

It also times the same loop split over one forked process per core, all at once
(`parallel_encode_seconds`): what the machine really gives when every core
encodes. On a VM whose cores slow each other down this is above the floor, and
no checker can go below it.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import orjson

from finetune_ls.core.encodings import get_encoding


def message_texts(path: str) -> list[str]:
    """String content, text parts and tool-call name/arguments of every message."""
    texts = []
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            ex = orjson.loads(line)
            for m in ex.get("messages") or ():
                content = m.get("content")
                if isinstance(content, str):
                    texts.append(content)
                elif isinstance(content, list):
                    texts += [p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
                for call in m.get("tool_calls") or ():
                    fn = call.get("function") or {}
                    texts += [v for v in (fn.get("name"), fn.get("arguments")) if isinstance(v, str)]
    return texts


def parallel_encode(encode, texts: list[str], n: int) -> float:
    """Wall time of encoding `texts` split over n forked processes (interleaved shares)."""
    if n <= 1 or not hasattr(os, "fork"):
        return float("nan")
    start = time.perf_counter()
    children = []
    for k in range(n):
        pid = os.fork()
        if pid == 0:  # child: encode its share, exit without cleanup
            for t in texts[k::n]:
                encode(t)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return time.perf_counter() - start


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # honours taskset/cgroup affinity
    except AttributeError:
        return os.cpu_count() or 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="time one core's encode_ordinary over all message texts")
    ap.add_argument("path")
    ap.add_argument("--encoding", default="o200k_base")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args(argv)

    texts = message_texts(args.path)
    enc = get_encoding(args.encoding)
    enc.encode_ordinary("warm up")  # first call builds tiktoken's regex; not part of the loop

    encode = enc.encode_ordinary
    n_tokens = 0
    t0 = time.perf_counter()
    for t in texts:
        n_tokens += len(encode(t))
    seconds = time.perf_counter() - t0

    n = cores()
    parallel = parallel_encode(encode, texts, n)
    result = {"encode_seconds": seconds, "cores": n, "floor_seconds": seconds / n,
              "parallel_encode_seconds": parallel,
              "texts": len(texts), "chars": sum(map(len, texts)), "tokens": n_tokens,
              "encoding": args.encoding}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"texts: {len(texts)}  chars: {result['chars']}  tokens: {n_tokens}")
        print(f"one core's {args.encoding} encoding: {seconds:.2f} s")
        print(f"cores: {n}")
        print(f"floor: {seconds / n:.2f} s")
        print(f"the same texts on {n} processes at once: {parallel:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
