"""What run.py and lsp_bench.py share: a bytecode cache for the timed processes, and issue 17's table.

An installed user never compiles the package at start-up (pip compiles it at install), but a
machine that sets PYTHONDONTWRITEBYTECODE=1 makes every timed run compile it from source
(~0.1 s of a 0.6 s start-up). The timed children therefore get a bytecode cache of their own
under bench/out/, filled by an untimed run first. It is a prefix cache (PYTHONPYCACHEPREFIX):
Python then looks only there, for the site-packages too, so the untimed run must import
everything the timed ones do.
"""

from __future__ import annotations

from pathlib import Path

BENCH = Path(__file__).resolve().parent
PYCACHE = BENCH / "out" / "pycache"
NOTE = (f"bytecode: the timed processes use the cache {PYCACHE} (PYTHONPYCACHEPREFIX, no"
        " PYTHONDONTWRITEBYTECODE), filled by an untimed run of each command first, as an installed user's is")


def bytecode_env(env: dict) -> dict:
    """`env` for a timed child: writes and reads compiled modules in PYCACHE."""
    PYCACHE.mkdir(parents=True, exist_ok=True)
    out = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return out


def sample_file(path: Path, out: Path, lines: int = 200) -> Path:
    """The first `lines` lines of `path`, for the untimed runs that fill the cache."""
    with open(path, "rb") as src, open(out, "wb") as dst:
        for _, line in zip(range(lines), src):
            dst.write(line)
    return out


def print_issue_table(rows: list[dict]) -> None:
    """rows: {"name", "value", "target", "met" (None: not measured), "from" (the same-run figures)}."""
    print("\nissue 17's table")
    print(f"{'measure':<56} {'value':>7}  {'target':<9} {'verdict':<12} from (this run)")
    for r in rows:
        value = "n/a" if r["value"] is None else f"{r['value']:.{r.get('digits', 2)}f}"
        verdict = "not measured" if r["met"] is None else ("met" if r["met"] else "NOT met")
        print(f"{r['name']:<56} {value:>7}  {r['target']:<9} {verdict:<12} {r.get('from', '')}")


def verdict(value: float | None, test) -> bool | None:
    return None if value is None else bool(test(value))
