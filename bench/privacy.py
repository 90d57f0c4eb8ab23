"""What the privacy rules cost, and a guard that a faster version finds the same.

    python bench/privacy.py [--mb 50] [--rounds 5] [--no-tokens] [--profile] [--in-process]
    python bench/privacy.py instructions [--sample-mb 3]      # valgrind; ~4 min
    python bench/privacy.py findings --save bench/out/privacy_findings.json
    python bench/privacy.py findings --compare bench/out/privacy_findings.json

The first form makes bench/out/chat_<mb>mb.jsonl if it is absent (gen_chat.py), then runs
`finetune-ls check FILE --format json --no-cache` with and without `--no-privacy`, alternated
for --rounds rounds, each in a fresh subprocess, and measures the CPU time of the check with
its worker processes (the RUSAGE_CHILDREN difference around each run: the workers are
children of the check, reaped before it exits). CPU time, not wall time: on a shared machine
the wall time follows the other load, the CPU time much less. It prints the medians and
"privacy rules: +X% CPU of the whole check". --profile adds cProfile's top entries for the
per-line privacy path (may_hold_private, and line_matches on the lines that pass) on the file.

`findings` runs the check (with --today fixed, without tokens) on every file of the corpus
(FINETUNE_LS_CORPUS, else ../shared/corpus: 34 files), on the bench file and on
bench/out/privacy_mix.jsonl (20,000 seeded lines made of private data, escapes and near
misses), and saves or compares every finding: run --save before a change (or with
PYTHONPATH=<an older checkout>/server), --compare after it; any difference is printed and
the exit code is 1.

`--in-process` measures instead in this process (steadier on a loaded machine; see
in_process), and `PYTHONPATH=<another checkout>/server` measures that checkout's code.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
MODEL = "gpt-4o-mini-2024-07-18"


def bench_file(mb: int) -> Path:
    path = BENCH / "out" / f"chat_{mb}mb.jsonl"
    if not path.is_file():
        subprocess.run([sys.executable, str(BENCH / "gen_chat.py"), "--mb", str(mb), "--out", str(path)], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def check_cmd(path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "finetune_ls", "check", str(path), "--format", "json", "--model", MODEL, *extra]


def cpu_of(cmd: list[str]) -> tuple[float, float, int]:
    """CPU seconds (user + system) of the command and its descendants, wall seconds, findings."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1) or not done.stdout.startswith(b"{"):
        sys.exit(f"check failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
    findings = sum(len(f["findings"]) for f in json.loads(done.stdout)["files"])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, findings


def measure(args: argparse.Namespace) -> None:
    path = bench_file(args.mb)
    if args.in_process:
        in_process(path, args)
        return
    extra = ["--no-cache"] + (["--no-tokens"] if args.no_tokens else [])
    variants = {"with": check_cmd(path, *extra), "without": check_cmd(path, *extra, "--no-privacy")}
    runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in variants}
    print(f"file {path} ({path.stat().st_size / 1e6:.1f} MB), {args.rounds} rounds, "
          f"{'without' if args.no_tokens else 'with'} token counting; load average {os.getloadavg()[0]:.2f}")
    for round_number in range(args.rounds):
        order = list(variants) if round_number % 2 == 0 else list(reversed(variants))  # alternated
        for name in order:
            runs[name].append(cpu_of(variants[name]))
            cpu, wall, findings = runs[name][-1]
            print(f"  round {round_number + 1} {name:7s} privacy: CPU {cpu:6.2f} s  wall {wall:6.2f} s  "
                  f"findings {findings}")
    median = {name: statistics.median(run[0] for run in runs[name]) for name in runs}
    print(f"median CPU: with {median['with']:.2f} s, without {median['without']:.2f} s "
          f"(load average now {os.getloadavg()[0]:.2f})")
    print(f"privacy rules: {100 * (median['with'] / median['without'] - 1):+.1f}% CPU of the whole check")
    if args.profile:
        profile(path)


def in_process(path: Path, args: argparse.Namespace) -> None:
    """The same check in this process, one job (engine.check_bytes), with and without the privacy
    rules, in pairs over slices of the file (about 2 MB each, the order alternating): the load
    of other processes, which changes the CPU time a run takes by tens of percent within a
    minute, then falls on both sides alike. Also timed on each slice, next to them: the privacy
    rules' own work alone (the byte test on every line, the detectors on the lines that pass),
    a figure the noise of the rest of the check does not blur. Prints each round's sums and the
    medians of the ratios."""
    sys.path.append(str(REPO / "server"))  # after PYTHONPATH: another checkout can be measured
    import orjson
    from finetune_ls.core.engine import CheckSettings, check_bytes
    from finetune_ls.core.privacy import line_matches, may_hold_private

    def privacy_work(lines: list[bytes]) -> None:
        for raw in lines:
            if may_hold_private(raw):
                line_matches(raw.decode("utf-8", "replace"), orjson.loads(raw))

    data = path.read_bytes()
    slices, start = [], 0
    while start < len(data):
        end = data.find(b"\n", start + 2_000_000)
        end = len(data) if end < 0 else end + 1
        slices.append(data[start:end])
        start = end
    settings = {privacy: CheckSettings(model=MODEL, count_tokens=not args.no_tokens, privacy=privacy)
                for privacy in (True, False)}
    check_bytes(slices[0], settings[True], jobs=1)  # warm up: the encoding, the schemas
    ratios, alone = [], []
    for round_number in range(args.rounds):
        spent = {True: 0.0, False: 0.0, "alone": 0.0}
        for number, piece in enumerate(slices):
            for privacy in ((True, False) if (number + round_number) % 2 == 0 else (False, True)):
                start = time.process_time()
                check_bytes(piece, settings[privacy], jobs=1)
                spent[privacy] += time.process_time() - start
            lines = piece.splitlines()  # the check splits the lines too: not the rules' work
            start = time.process_time()
            privacy_work(lines)
            spent["alone"] += time.process_time() - start
        ratios.append(spent[True] / spent[False])
        alone.append(spent["alone"] / spent[False])
        print(f"  round {round_number + 1}: check with {spent[True]:.2f} s, without {spent[False]:.2f} s: "
              f"{100 * (ratios[-1] - 1):+.1f}%; the privacy work alone {spent['alone']:.3f} s: "
              f"{100 * alone[-1]:.1f}% of the check without")
    print(f"in process, one job, {len(slices)} slices in pairs, median of {args.rounds} rounds: "
          f"privacy rules: {100 * (statistics.median(ratios) - 1):+.1f}% CPU of the whole check; "
          f"their work alone: {100 * statistics.median(alone):.1f}%")


def profile(path: Path) -> None:
    """cProfile of the privacy rules' own per-line work, as a worker does it for every line."""
    sys.path.append(str(REPO / "server"))  # after PYTHONPATH: another checkout can be measured
    import orjson
    from finetune_ls.core.privacy import line_matches, may_hold_private

    lines = path.read_bytes().splitlines()

    def privacy_pass() -> int:
        found = 0
        for raw in lines:
            if may_hold_private(raw):
                found += len(line_matches(raw.decode("utf-8", "replace"), orjson.loads(raw)))
        return found

    start = time.process_time()
    found = privacy_pass()
    print(f"\nthe privacy pass alone, unprofiled: {time.process_time() - start:.3f} CPU s for {len(lines)} lines, "
          f"{found} matches; passed the byte test: {sum(map(may_hold_private, lines))} lines")
    profiler = cProfile.Profile()
    profiler.runcall(privacy_pass)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


CHECK_ONE_JOB = """import sys
from finetune_ls.core.engine import CheckSettings, check_bytes
check_bytes(open(sys.argv[1], "rb").read(), CheckSettings(model=sys.argv[3], privacy=sys.argv[2] == "on"), jobs=1)
"""


def instructions(args: argparse.Namespace) -> None:
    """Instructions executed (valgrind's callgrind, PYTHONHASHSEED=0) by the check in one process on
    the first --sample-mb of the bench file, with and without the privacy rules, and on its first
    line alone (the start-up: imports, the encoding). Counts do not depend on the machine's load:
    the one steady measure on a shared machine, though an instruction is not a fixed time."""
    data = bench_file(args.mb).read_bytes()
    out = BENCH / "out"
    sample, first = out / "privacy_sample.jsonl", out / "privacy_first_line.jsonl"
    sample.write_bytes(data[:data.rfind(b"\n", 0, int(args.sample_mb * 2**20)) + 1])
    first.write_bytes(data[:data.find(b"\n") + 1])
    env = dict(os.environ, PYTHONHASHSEED="0")

    def counted(path: Path, privacy: str) -> int:
        done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c",
                               CHECK_ONE_JOB, str(path), privacy, MODEL], capture_output=True, text=True, env=env)
        return int(done.stderr.split("Collected :")[1].split()[0])

    start_up, without, with_ = counted(first, "off"), counted(sample, "off"), counted(sample, "on")
    print(f"instructions, {sample.stat().st_size / 1e6:.1f} MB: start-up {start_up / 1e9:.3f} G, check without "
          f"{without / 1e9:.3f} G, with {with_ / 1e9:.3f} G; privacy rules: {100 * (with_ - without) / (without - start_up):+.1f}% "
          f"of the check's instructions past the start-up, {100 * (with_ - without) / without:+.1f}% of all")


def corpus_dir() -> Path:
    return Path(os.environ.get("FINETUNE_LS_CORPUS", REPO.parent.parent / "shared" / "corpus"))


# Pieces of text at and around the detectors' edges, escapes included (tests/privacy_cases.py).
PIECES = ["jane.roe@fastmail.fm", "bob\\u0040corp.io", "a@b", "x@y.example.com", "+44 20 7946 0958", "+1", "+33 1",
          "(415) 555-2671", "415-555-2671", "415.555.2671", "4539 1488 0343 6467", "4539148803436467",
          "4539\\u00a01488\\u00a00343\\u00a06467", "3782 822463 10005", "4111 1111 1111 1111",
          "sk-proj-4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu", "sk-\\u0041bcd4f9Qa1Zr8Lm2Xc7Vb3Nd6Ke0Tw5Yu", "AKIAIOSFODNN7EXAMPL3",
          "ghp_a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5", "xoxb-123456789012-1234567890123-AbCd", "\\nsk-ant-api03xyz1234567890abcdefgh",
          "AIzaSyD3x4mPl3K3yF0rT3st1ngPurp0s3s1234", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
          "+44\\u00a020\\u00a07946\\u00a00958", "+44 20 7946\u00a00958", "\u00e9", "\\n", "\\\"", " ", "2024-01-15", "word",
          "@", "+", "-", "1234", "12345678", "    @property", "\\u2007", "\U0001F600", "\\ud83d\\ude00", "\\\\u0040"]

SEPARATORS = ["", " ", " ", ", ", "\\n", "\u00e9"]


def mix_file(lines: int = 20000, seed: int = 17) -> Path:
    """Lines made of PIECES (seeded): what the detectors find and what is near it."""
    import random
    path = BENCH / "out" / "privacy_mix.jsonl"
    chooser = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(lines):
            text = "".join(chooser.choice(PIECES) + chooser.choice(SEPARATORS) for _ in range(chooser.randint(1, 8)))
            out.write('{"messages":[{"role":"user","content":"' + text + '"},{"role":"assistant","content":"ok"}]}\n')
    return path


def all_findings(mb: int) -> dict[str, list]:
    corpus = sorted(path for path in corpus_dir().glob("*/*") if path.is_file())  # 34 files, one of them .json
    files = corpus + [bench_file(mb), mix_file()]
    found = {}
    for path in files:
        done = subprocess.run(check_cmd(path, "--no-cache", "--no-tokens", "--today", "2026-11-26"),
                              capture_output=True)
        key = str(path.relative_to(corpus_dir())) if path.is_relative_to(corpus_dir()) else path.name
        found[key] = [finding for file in json.loads(done.stdout)["files"] for finding in file["findings"]] \
            if done.stdout.startswith(b"{") else [f"exit {done.returncode}: {done.stderr[-500:]!r}"]
    return found


def findings(args: argparse.Namespace) -> None:
    found = all_findings(args.mb)
    total = sum(len(f) for f in found.values())
    print(f"{len(found)} files, {total} findings")
    if args.save:
        Path(args.save).write_text(json.dumps(found, indent=1, sort_keys=True))
        return
    saved = json.loads(Path(args.compare).read_text())
    differing = [name for name in sorted(set(saved) | set(found)) if saved.get(name) != found.get(name)]
    for name in differing:
        before, after = saved.get(name) or [], found.get(name) or []
        print(f"DIFFERENT {name}: {len(before)} findings before, {len(after)} now")
        for finding in [f for f in before if f not in after][:5]:
            print("  gone:", json.dumps(finding)[:300])
        for finding in [f for f in after if f not in before][:5]:
            print("  new: ", json.dumps(finding)[:300])
    print("same findings" if not differing else f"{len(differing)} files differ")
    sys.exit(1 if differing else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=50, help="size of the generated chat file in MiB (default 50)")
    sub = parser.add_subparsers(dest="command")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-tokens", action="store_true", help="measure the check without token counting")
    parser.add_argument("--profile", action="store_true", help="also profile the per-line privacy path")
    parser.add_argument("--in-process", action="store_true",
                        help="measure the check in this process with one job instead (steadier on a loaded machine)")
    compare = sub.add_parser("findings", help="save or compare every finding on the corpus and the bench file")
    mode = compare.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", metavar="JSON")
    mode.add_argument("--compare", metavar="JSON")
    counting = sub.add_parser("instructions", help="count the instructions with valgrind (steady under load)")
    counting.add_argument("--sample-mb", type=float, default=3.0, help="how much of the bench file (default 3)")
    args = parser.parse_args()
    {"findings": findings, "instructions": instructions}.get(args.command, measure)(args)


if __name__ == "__main__":
    main()
