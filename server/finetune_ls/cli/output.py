"""Check reports as compiler-style text, JSON, SARIF 2.1.0 or GitHub annotations."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from finetune_ls import __version__
from finetune_ls.core.engine import FileReport
from finetune_ls.core.findings import Finding, Severity
from finetune_ls.core.rules import RULES
from finetune_ls.core.targets import target_info

JSON_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# GitHub code scanning rejects a run with more than 25,000 results.
SARIF_MAX_RESULTS = 25_000
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFORMATION: 2, Severity.HINT: 3}
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFORMATION: "note",
                Severity.HINT: "note"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFORMATION: "notice",
                 Severity.HINT: "notice"}
_COLOR = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFORMATION: "\033[36m",
          Severity.HINT: "\033[2m"}
_RESET, _BOLD = "\033[0m", "\033[1m"


def write(reports: list[FileReport], fmt: str, out: TextIO, color: bool = False, base: Path | None = None) -> None:
    if fmt == "json":
        json.dump(to_json(reports), out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "sarif":
        json.dump(to_sarif(reports, base), out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "github":
        for report in reports:
            for finding in report.findings:
                out.write(github_annotation(_workspace_path(report.path, base), finding) + "\n")
    else:
        write_text(reports, out, color)


def printable(text: str) -> str:
    """Text that can be written as UTF-8. A file name whose bytes are not UTF-8 comes as
    surrogates (PEP 383), which no UTF-8 output takes: its bytes are shown as \\xff escapes."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that is no file-name byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


# ------------------------------------------------------------------ JSON
def finding_json(finding: Finding) -> dict:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "scope": finding.scope,
        "line": finding.line + 1,
        "column": finding.column + 1,
        "end_line": finding.end_line + 1,
        "end_column": finding.end_column + 1,
        "message": printable(finding.message),
        "pointer": finding.pointer,
    }


def to_json(reports: list[FileReport]) -> dict:
    return {"version": JSON_VERSION, "files": [
        {"path": printable(report.path), "format": report.format,
         "findings": [finding_json(f) for f in report.findings],
         "summary": report.summary}
        for report in reports]}


# ------------------------------------------------------------------ SARIF
def _uri(path: str, base: Path | None) -> str:
    if path == "-":
        return "stdin"
    absolute = Path(path).resolve()
    if base is not None:
        try:
            relative = absolute.relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
        else:  # a name that is not UTF-8: its bytes percent-encoded, as as_uri() does
            return relative if printable(relative) == relative else quote(os.fsencode(relative))
    return absolute.as_uri()


def _rule_name(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("-"))


def _kept_for_sarif(reports: list[FileReport]) -> tuple[list[tuple[FileReport, Finding]], int]:
    """At most SARIF_MAX_RESULTS findings, the most severe first, in file order within a severity."""
    every = [(report, finding) for report in reports for finding in report.findings]
    if len(every) <= SARIF_MAX_RESULTS:
        return every, 0
    ranked = sorted(range(len(every)), key=lambda i: (_SEVERITY_RANK[every[i][1].severity], i))
    kept = sorted(ranked[:SARIF_MAX_RESULTS])
    return [every[i] for i in kept], len(every) - SARIF_MAX_RESULTS


def to_sarif(reports: list[FileReport], base: Path | None = None) -> dict:
    kept, dropped = _kept_for_sarif(reports)
    used = sorted({f.code for _, f in kept})
    index = {code: position for position, code in enumerate(used)}
    rules = []
    for code in used:
        rule = RULES[code]
        rules.append({
            "id": code,
            "name": _rule_name(code),
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.summary},
            "help": {"text": rule.fix, "markdown": f"**Fix:** {rule.fix}"},
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
            "properties": {"tags": [rule.group.lower()]},
        })
    results = []
    uris = {report.path: _uri(report.path, base) for report in reports}
    for report, finding in kept:
        uri = uris[report.path]
        artifact = {"uri": uri} if uri.startswith("file:") else {"uri": uri, "uriBaseId": "%SRCROOT%"}
        region = {"startLine": finding.line + 1, "startColumn": finding.column_utf16 + 1,
                  "endLine": finding.end_line + 1, "endColumn": finding.end_column_utf16 + 1}
        results.append({
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": printable(finding.message)},
            "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
            "properties": {"scope": finding.scope, **({"pointer": finding.pointer} if finding.pointer else {})},
        })
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "finetune-ls", "version": __version__, "semanticVersion": __version__,
                                "informationUri": "https://github.com/finetune-ls/finetune-ls", "rules": rules}},
            "columnKind": "utf16CodeUnits",
            **({"properties": {"omittedResults": dropped,
                               "note": f"{dropped} less severe findings left out: GitHub accepts at most "
                                       f"{SARIF_MAX_RESULTS} results per run (use --format json for all)"}}
               if dropped else {}),
            "originalUriBaseIds": {"%SRCROOT%": {"uri": (base or Path.cwd()).resolve().as_uri() + "/"}},
            "results": results,
        }],
    }


# ------------------------------------------------------------------ GitHub
def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _workspace_path(path: str, base: Path | None) -> str:
    """GitHub puts an annotation on a file by its path from the workspace: `check .` names
    ./data/a.jsonl, and the annotation says data/a.jsonl (a file outside keeps its path)."""
    if path == "-" or base is None:
        return path
    for plain, root in ((Path(os.path.abspath(path)), base.absolute()), (Path(path).resolve(), base.resolve())):
        try:  # as named first; then with symbolic links resolved (the working directory's own are)
            return plain.relative_to(root).as_posix()
        except ValueError:
            continue
    return path


def github_annotation(path: str, finding: Finding) -> str:
    """A workflow command that GitHub Actions shows on the line of the pull request."""
    properties = [f"file={_escape_property(printable(path))}", f"line={finding.line + 1}"]
    if finding.scope == "line":
        properties.append(f"col={finding.column + 1}")
        properties.append(f"endLine={finding.end_line + 1}")
        if finding.end_line == finding.line:
            properties.append(f"endColumn={finding.end_column + 1}")
    properties.append(f"title={_escape_property('finetune-ls ' + finding.code)}")
    return f"::{_GITHUB_LEVEL[finding.severity]} {','.join(properties)}::{_escape_data(printable(finding.message))}"


# ------------------------------------------------------------------ text
def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def write_text(reports: list[FileReport], out: TextIO, color: bool) -> None:
    for report in reports:
        path = printable(report.path)
        for finding in report.findings:
            where = path if finding.scope == "file" else f"{path}:{finding.line + 1}:{finding.column + 1}"
            label = _paint(f"{finding.severity.value}[{finding.code}]", _COLOR[finding.severity], color)
            out.write(f"{where}: {label} {printable(finding.message)}\n")
        write_summary(report, out, color)


def _number(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "n/a"


def _money(value: object) -> str:
    return f"${value:,.2f}" if isinstance(value, (int, float)) else "n/a"


def _open_weight_rows(summary: dict) -> list[tuple[str, str]]:
    """Where an open-weight file is trained and whose tokenizer counted it."""
    trainer = target_info(summary["target"])
    length = summary.get("max_seq_length")
    past = "drops longer examples" if summary.get("overflow") == "drop" else "truncates longer examples"
    setting = trainer.max_seq_length_setting or "max_seq_length"
    rows = [("target", f"{trainer.name} ({setting} {_number(length) if length else 'unknown'}, {past}; packing "
                       f"{'on' if summary.get('packing') else 'off'})")]
    tokenizer = summary.get("tokenizer")
    from finetune_ls.core.hf_tokenizer import source_phrase  # (loads tokenizers: open-weight targets only)

    rows.append(("tokenizer", f"{tokenizer['model']}'s own, from "
                              f"{printable(source_phrase(tokenizer['source'], tokenizer['where']))}"
                 if tokenizer else "not loaded: tokens not counted"))
    return rows


def write_summary(report: FileReport, out: TextIO, color: bool) -> None:
    summary = report.summary
    rows = [("file", printable(report.path)), ("format", summary.get("format", report.format)),
            ("examples", _number(summary.get("examples")))]
    if summary.get("tokens") is not None:
        rows.append(("tokens", f"{_number(summary['tokens'])} (trained {_number(summary.get('trained_tokens'))})"))
        longest = summary.get("longest_example")
        if longest:
            rows.append(("longest example", f"line {longest['line']}, {_number(longest['tokens'])} tokens"))
        open_weight = "tokenizer" in summary  # an open-weight target: the trainer's sequence length
        context = summary.get("max_seq_length") if open_weight else summary.get("training_context")
        limit = (target_info(summary["target"]).max_seq_length_setting or "max_seq_length") if open_weight \
            else "training context"
        rows.append(("over the limit", f"{summary.get('over_limit', 0)}"
                     + (f" ({limit} {_number(context)})" if context else " (context unknown)")))
    if "tokenizer" in summary:
        rows.extend(_open_weight_rows(summary))
    if summary.get("model"):  # none for a binary file, unless --model named one
        method = summary.get("method")
        rows.append(("model", summary["model"] + (f" ({method})" if method else "")))
    if summary.get("billed_tokens") is None and summary.get("cost_note"):
        rows.append(("cost", summary["cost_note"]))
    if summary.get("billed_tokens") is not None:
        rows.append(("epochs", f"{summary['epochs']} ({summary['epochs_source']})"))
        rows.append(("billed tokens", _number(summary["billed_tokens"])))
        price = summary.get("price_per_1m_tokens")
        cost = _money(summary.get("estimated_cost_usd"))
        kind = f" ({summary['training_type']} training)" if summary.get("training_type") else ""
        rows.append(("estimated cost", f"{cost} at {_money(price)} per 1M tokens{kind}" if price is not None
                     else f"n/a ({summary.get('cost_note')})"))
        if price is not None and kind:  # Azure: say how sure the price is
            rows.append(("price", summary.get("cost_note")))
        others = [row for row in summary.get("cost_comparison", []) if not row.get("target")]
        if others:
            rows.append(("other models", " · ".join(
                f"{row['model']}{' ' + row['training_type'] if row.get('training_type') else ''} "
                f"{_money(row['estimated_cost_usd'])}" for row in others)))
    errors = report.count(Severity.ERROR)
    warnings = report.count(Severity.WARNING)
    rows.append(("findings", f"{errors} error{'' if errors == 1 else 's'}, "
                             f"{warnings} warning{'' if warnings == 1 else 's'}"))
    width = max(len(name) for name, _ in rows)
    out.write("\n")
    for name, value in rows:
        out.write(f"  {_paint(name.ljust(width), _BOLD, color)}  {value}\n")
    out.write("\n")


__all__ = ["write", "to_json", "to_sarif", "github_annotation", "finding_json", "os"]
