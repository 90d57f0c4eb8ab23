"""Benchmark `finetune-ls check` against the cookbook baseline and the tokenisation floor.

    python bench/run.py [--mb 100] [--encoding o200k_base] [--repeat 3] [--json out.json]

Generates bench/out/chat_<mb>mb.jsonl if absent, then runs the variants round-robin for
--repeat rounds, each as a fresh subprocess (see bench/README.md for what they mean):
cold, warm, no-tokens, no-privacy, baseline, floor. Prints a table, the ratios against the
issue's targets and issue 17's table. Timings are only comparable within one run on one machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

from bytecode import NOTE as BYTECODE_NOTE, PYCACHE, bytecode_env, print_issue_table, sample_file, verdict

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VARIANTS = ("cold", "warm", "no-tokens", "no-privacy", "baseline", "lean-baseline", "floor")
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def tree_memory(root: int) -> int:
    """Bytes of memory of `root` and its descendants (pool workers included).

    Uses PSS, which splits pages shared between forked workers among them, so a pool is
    not counted several times over; falls back to RSS where smaps_rollup is missing."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    total += next(int(ln.split()[1]) for ln in f if ln.startswith("Pss:")) * 1024
            except FileNotFoundError:
                with open(f"/proc/{pid}/statm") as f:
                    total += int(f.read().split()[1]) * PAGE
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError, StopIteration):  # the process ended meanwhile
            pass
    return total


def cpu_busy_seconds() -> float:
    """CPU time all processes on the machine have used so far (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / TICK  # everything but idle and iowait


def run_child(cmd: list[str], env: dict, timeout: float) -> dict:
    """Run one command: wall time, exit code, CPU, ru_maxrss (os.wait4), peak tree memory.

    tree_mb is max(sampled tree PSS, ru_maxrss): the sampler may miss short-lived
    processes, and ru_maxrss only sees the largest single process of the tree."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        busy0, t0 = cpu_busy_seconds(), time.perf_counter()
        try:
            # own session, so a timeout or Ctrl-C can kill the whole tree (pool workers too)
            p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, start_new_session=True)
        except OSError as exc:
            return {"ok": False, "rc": None, "seconds": 0.0, "error": f"cannot start: {exc}"}
        peak, done, timed_out = [0], threading.Event(), []

        def sample():  # every 100 ms; cheap enough not to disturb a 2-core machine
            while not done.wait(0.1):
                peak[0] = max(peak[0], tree_memory(p.pid))

        def kill():
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        def on_timeout():
            timed_out.append(True)
            kill()

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        killer = threading.Timer(timeout, on_timeout)
        killer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)
        except BaseException:  # Ctrl-C: do not leave the child running in its own session
            kill()
            p.wait()
            raise
        finally:
            killer.cancel()
            done.set()
        seconds = time.perf_counter() - t0
        cpu = usage.ru_utime + usage.ru_stime  # the child and the children it waited for
        # CPUs that other processes kept busy meanwhile (the probe's "bg" noise indicator)
        bg = max(0.0, cpu_busy_seconds() - busy0 - cpu) / max(seconds, 1e-9)
        sampler.join()
        p.returncode = rc = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
        out.seek(0)
        err.seek(0)
        maxrss = usage.ru_maxrss * 1024  # KiB on Linux
        r = {"rc": rc, "seconds": seconds, "cpu_s": cpu, "bg_cpus": bg, "maxrss_mb": maxrss / 1e6,
             "tree_mb": max(peak[0], maxrss) / 1e6,
             "stdout": out.read().decode("utf-8", "replace"),
             "stderr_tail": err.read().decode("utf-8", "replace")[-2000:]}
    if timed_out:
        r.update(ok=False, error=f"timed out after {timeout:g} s")
    return r


def parses_as_json(text: str) -> bool:
    """`--format json` output: one JSON document, or JSON lines."""
    try:
        orjson.loads(text)
        return True
    except orjson.JSONDecodeError:
        pass
    lines = [ln for ln in text.splitlines() if ln.strip()]
    try:
        for ln in lines:
            orjson.loads(ln)
    except orjson.JSONDecodeError:
        return False
    return bool(lines)


class Bench:
    def __init__(self, args, path: Path):
        self.args, self.path = args, str(path)
        self.cli = shlex.split(args.cli) if args.cli else None
        self.env = bytecode_env(dict(os.environ))  # see bench/bytecode.py
        # baseline/floor import finetune_ls.core.encodings even if the package is not installed
        self.py_env = {**self.env, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO / "server"), self.env.get("PYTHONPATH")]))}
        self.warm_dir = tempfile.mkdtemp(prefix="finetune-ls-bench-warm-")

    def check_cmd(self, *extra: str) -> list[str]:
        return [*self.cli, "check", self.path, "--format", "json", "--model", self.args.model, *extra]

    def run_check(self, extra=(), cache_dir=None) -> dict:
        if not self.cli:
            return {"ok": False, "rc": None, "seconds": 0.0, "error": "finetune-ls CLI not found (use --cli)"}
        fresh = cache_dir is None
        cache_dir = cache_dir or tempfile.mkdtemp(prefix="finetune-ls-bench-cold-")
        try:
            r = run_child(self.check_cmd(*extra), {**self.env, "FINETUNE_LS_CACHE_DIR": cache_dir},
                          self.args.timeout)
        finally:
            if fresh:
                shutil.rmtree(cache_dir, ignore_errors=True)
        # 0 = clean, 1 = findings; anything else (or a traceback's 1 without JSON) failed.
        r["ok"] = r.get("rc") in (0, 1) and parses_as_json(r.get("stdout", ""))
        if not r["ok"] and "error" not in r:
            r["error"] = (f"exit {r['rc']} without JSON on stdout" if r.get("rc") in (0, 1)
                          else f"exit {r.get('rc')}")
        r["findings"] = r["ok"] and r["rc"] == 1
        return r

    def run(self, variant: str) -> dict:
        enc = ["--encoding", self.args.encoding]
        if variant == "cold":
            r = self.run_check()
        elif variant == "warm":
            r = self.run_check(cache_dir=self.warm_dir)
        elif variant == "no-tokens":
            r = self.run_check(("--no-tokens",))
        elif variant == "no-privacy":  # the cold check without the privacy rules: their CPU cost
            r = self.run_check(("--no-privacy",))
        elif variant in ("baseline", "lean-baseline"):
            lean = ["--lean"] if variant == "lean-baseline" else []
            r = run_child([sys.executable, str(BENCH / "baseline_cookbook.py"), self.path, *enc, *lean],
                          self.py_env, self.args.timeout)
            r["ok"] = r["rc"] == 0
        else:  # floor
            r = run_child([sys.executable, str(BENCH / "floor.py"), self.path, *enc, "--json"],
                          self.py_env, self.args.timeout)
            r["ok"] = r["rc"] == 0
            if r["ok"]:
                r["floor"] = json.loads(r["stdout"])
        if not r["ok"] and "error" not in r:
            r["error"] = f"exit {r.get('rc')}"
        r.pop("stdout", None)
        if r["ok"]:
            r.pop("stderr_tail", None)
        return r


def summarise(runs: list[dict], size: int) -> dict:
    ok = [r for r in runs if r["ok"]]
    if not ok:
        return {"ok_runs": 0, "failed_runs": len(runs)}
    secs = [r["seconds"] for r in ok]
    med = statistics.median(secs)
    return {"ok_runs": len(ok), "failed_runs": len(runs) - len(ok), "median_s": med,
            "min_s": min(secs), "max_s": max(secs),
            "cpu_s": statistics.median(r["cpu_s"] for r in ok),
            "bg_cpus_max": max(r["bg_cpus"] for r in ok),
            "maxrss_mb": max(r["maxrss_mb"] for r in ok),
            "tree_mb": max(r["tree_mb"] for r in ok),
            "mb_per_s": size / 1e6 / med}


def ratios(s: dict, floor_s: float | None, size: int) -> list[tuple]:
    """(name, value, target text, met) for each of the issue's targets."""
    def med(v):
        return s.get(v, {}).get("median_s")

    def div(a, b):
        return a / b if a is not None and b else None

    cold_mem = s.get("cold", {}).get("tree_mb")
    rows = [
        ("cold / floor", div(med("cold"), floor_s), "<= 1.3", lambda x: x <= 1.3),
        ("baseline / cold", div(med("baseline"), med("cold")), ">= 2", lambda x: x >= 2),
        ("baseline / warm", div(med("baseline"), med("warm")), ">= 8", lambda x: x >= 8),  # issue 17
        ("no-tokens s per 100 MB", div(med("no-tokens"), size / 100e6), "< 1.5", lambda x: x < 1.5),
        ("cold peak memory / file size", div(cold_mem, size / 1e6), "< 3 (well under)", lambda x: x < 3),
    ]
    return [(name, v, target, None if v is None else test(v)) for name, v, target, test in rows]


def prime_bytecode(bench: Bench, variants: list[str]) -> None:
    """One untimed run of every variant's command on the file's first lines, so that the
    bytecode cache holds what each of them imports (bench/bytecode.py); the warm cache's
    priming, on the whole file, then adds what only a big file imports (the worker pool)."""
    with tempfile.TemporaryDirectory(prefix="finetune-ls-bench-sample-") as tmp:
        sample = sample_file(Path(bench.path), Path(tmp) / "sample.jsonl")
        whole, bench.path = bench.path, str(sample)
        try:
            failed = [v for v in variants if v != "warm" and not bench.run(v)["ok"]]  # warm: cold's command
        finally:
            bench.path = whole
    print(BYTECODE_NOTE + (f"  (the untimed run FAILED for {', '.join(failed)})" if failed else ""), flush=True)


def issue_rows(s: dict, floor_s: float | None) -> list[dict]:
    """Issue 17's rows for the check, each with the same-run figures it comes from."""
    def fig(v, key="median_s"):
        return s.get(v, {}).get(key)

    def div(a, b):
        return a / b if a is not None and b else None

    def secs(a, b, unit="s"):
        return "n/a" if a is None or b is None else f"{a:.2f} {unit} / {b:.2f} {unit}"

    cold, warm, base, lean = fig("cold"), fig("warm"), fig("baseline"), fig("lean-baseline")
    cpu, cpu_off = fig("cold", "cpu_s"), fig("no-privacy", "cpu_s")
    privacy = div(None if cpu is None or cpu_off is None else cpu - cpu_off, cpu_off)
    rows = [
        ("cold check / tokenizer floor", div(cold, floor_s), "<= 1.3", lambda x: x <= 1.3,
         "cold / floor " + secs(cold, floor_s)),
        ("cookbook baseline / cold check", div(base, cold), ">= 2", lambda x: x >= 2,
         "baseline / cold " + secs(base, cold)),
        ("cookbook baseline / warm check", div(base, warm), ">= 8", lambda x: x >= 8,
         "baseline / warm " + secs(base, warm)),
        ("lean cookbook baseline / cold check", div(lean, cold), ">= 2", lambda x: x >= 2,
         "lean-baseline / cold " + secs(lean, cold)),
        ("lean cookbook baseline / warm check", div(lean, warm), ">= 8", lambda x: x >= 8,
         "lean-baseline / warm " + secs(lean, warm)),
        ("privacy rules' CPU, (cold - no-privacy) / no-privacy, %", privacy, "<= 5%", lambda x: x <= 0.05,
         "CPU " + secs(cpu, cpu_off) + " (median, process tree)"),
    ]
    out = [{"name": n, "value": v, "target": t, "met": verdict(v, test), "from": f} for n, v, t, test, f in rows]
    out[-1]["value_percent"] = None if privacy is None else privacy * 100
    return out


def file_info(path: Path) -> dict:
    sha = hashlib.sha256()
    with open(path, "rb") as f:  # also pulls the file into the page cache for every variant
        while block := f.read(1 << 20):
            sha.update(block)
    return {"path": str(path), "bytes": path.stat().st_size, "sha256": sha.hexdigest()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=100, help="generated file size in MiB")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--file", type=Path, help="use this JSONL file instead of generating one")
    ap.add_argument("--encoding", default="o200k_base", help="for the baseline and the floor")
    ap.add_argument("--model", default="gpt-4o-mini-2024-07-18",
                    help="for finetune-ls check; its encoding should match --encoding")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli", help="finetune-ls command (shell-split), default: .venv/bin/finetune-ls or PATH")
    ap.add_argument("--only", default=",".join(VARIANTS), help="comma-separated subset of " + ",".join(VARIANTS))
    ap.add_argument("--timeout", type=float, default=900, help="seconds per run before it is killed")
    ap.add_argument("--json", type=Path, help="also write all numbers to this file")
    args = ap.parse_args(argv)
    variants = [v for v in VARIANTS if v in args.only.split(",")]
    if args.cli is None:
        venv_cli = REPO / ".venv" / "bin" / "finetune-ls"
        args.cli = str(venv_cli) if venv_cli.exists() else shutil.which("finetune-ls")

    path = args.file or BENCH / "out" / f"chat_{args.mb:g}mb.jsonl"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        subprocess.run([sys.executable, str(BENCH / "gen_chat.py"), "--mb", str(args.mb),
                        "--seed", str(args.seed), "--out", str(path)], check=True)
    info = file_info(path)
    size = info["bytes"]
    ncores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"file: {path} ({size / 1e6:.1f} MB, sha256 {info['sha256'][:16]}...)  cores: {ncores}"
          f"  cli: {args.cli or '(not found)'}  loadavg: {os.getloadavg()[0]:.2f}", flush=True)

    bench = Bench(args, path)
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    prime = None
    try:
        prime_bytecode(bench, variants)
        if "warm" in variants:  # fill the warm cache once; not timed as a result
            prime = bench.run_check(cache_dir=bench.warm_dir)
            print(f"  prime warm cache: {prime['seconds']:.2f} s rc={prime.get('rc')}"
                  + ("" if prime["ok"] else f"  FAILED: {prime.get('error')}"), flush=True)
        for rnd in range(1, args.repeat + 1):
            for v in variants:
                r = bench.run(v)
                runs[v].append(r)
                note = "" if r["ok"] else f"  FAILED: {r.get('error')}"
                bg = f"  bg {r['bg_cpus']:.2f}" if "bg_cpus" in r else ""
                print(f"  round {rnd} {v:<9} {r['seconds']:7.2f} s{bg}{note}", flush=True)
                if not r["ok"] and r.get("stderr_tail"):
                    print("    " + r["stderr_tail"].strip().replace("\n", "\n    ")[-800:], flush=True)
    finally:
        shutil.rmtree(bench.warm_dir, ignore_errors=True)

    summary = {v: summarise(rs, size) for v, rs in runs.items()}
    floor_runs = [r["floor"] for r in runs.get("floor", []) if r["ok"]]
    floor = None
    if floor_runs:
        enc_s = statistics.median(f["encode_seconds"] for f in floor_runs)
        floor = {"encode_seconds": enc_s, "cores": floor_runs[0]["cores"],
                 "floor_seconds": enc_s / floor_runs[0]["cores"], "tokens": floor_runs[0]["tokens"],
                 "parallel_encode_seconds": statistics.median(f.get("parallel_encode_seconds", float("nan"))
                                                              for f in floor_runs)}

    print(f"\n{'variant':<10} {'median s':>9} {'min':>7} {'max':>7} {'maxRSS MB':>10} {'tree MB':>8} {'MB/s':>7} {'CPU s':>6} {'bg':>5}  runs")
    for v, s in summary.items():
        if not s["ok_runs"]:
            print(f"{v:<10} {'failed':>9}  ({s['failed_runs']} of {s['failed_runs']} runs failed)")
            continue
        fails = f" ({s['failed_runs']} failed)" if s["failed_runs"] else ""
        print(f"{v:<10} {s['median_s']:9.2f} {s['min_s']:7.2f} {s['max_s']:7.2f} {s['maxrss_mb']:10.0f}"
              f" {s['tree_mb']:8.0f} {s['mb_per_s']:7.1f}"
              f" {s['cpu_s']:6.2f} {s['bg_cpus_max']:5.2f}  {s['ok_runs']}{fails}")
    if floor:
        print(f"\nfloor: one core's {args.encoding} encode_ordinary {floor['encode_seconds']:.2f} s"
              f" / {floor['cores']} cores = {floor['floor_seconds']:.2f} s")
        parallel = floor["parallel_encode_seconds"]
        print(f"the same encoding on {floor['cores']} processes at once: {parallel:.2f} s "
              f"({parallel / floor['floor_seconds']:.2f}x the floor: how well this machine's cores scale)")
        if "cold" in summary and summary["cold"].get("ok_runs"):
            print(f"cold / parallel encoding: {summary['cold']['median_s'] / parallel:.2f}")
    noisy = max((r.get("bg_cpus", 0) for rs in runs.values() for r in rs), default=0)
    if noisy > 0.2:
        print(f"note: other processes kept up to {noisy:.2f} CPUs busy during a run; timings are noisy")
    if any(r.get("findings") for rs in runs.values() for r in rs):
        print("note: check exited 1 (findings) on the generated file, which should have none")

    print("\nratio                          value  target            ")
    checks = ratios(summary, floor and floor["floor_seconds"], size)
    for name, value, target, met in checks:
        shown = "n/a" if value is None else f"{value:.2f}"
        verdict = "not measured" if met is None else ("met" if met else "NOT MET")
        print(f"{name:<28} {shown:>7}  {target:<17} {verdict}")

    table = issue_rows(summary, floor and floor["floor_seconds"])
    print_issue_table([{**r, "value": r.get("value_percent", r["value"]), "digits": 1} if "value_percent" in r
                       else r for r in table])

    if args.json:
        args.json.write_text(json.dumps({
            "file": info, "cores": ncores, "encoding": args.encoding, "model": args.model,
            "cli": args.cli, "repeat": args.repeat, "python": sys.version.split()[0],
            "platform": platform.platform(), "machine": platform.processor() or platform.machine(),
            "loadavg_end": os.getloadavg(), "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "prime_warm": prime and {k: v for k, v in prime.items() if k != "stdout"},
            "runs": runs, "summary": summary, "floor": floor,
            "ratios": [{"name": n, "value": v, "target": t, "met": m} for n, v, t, m in checks],
            "issue17": table, "bytecode_cache": str(PYCACHE),
        }, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
