"""Line results as plain tuples: how they cross process boundaries and sit in the cache.

marshal (not pickle) reads them back, so a damaged or planted cache file can
fail to load but cannot run code.
"""

from __future__ import annotations

from finetune_ls.core.analysis import LineResult
from finetune_ls.core.findings import Finding, Fix, Related, Severity, TextEdit

_SEVERITIES = {severity.value: severity for severity in Severity}


def _encode_fix(fix: Fix | None) -> tuple | None:
    if fix is None:
        return None
    return (fix.title, fix.safe, tuple((e.start_line, e.start_column, e.end_line, e.end_column, e.new_text)
                                       for e in fix.edits))


def _decode_fix(data: tuple | None) -> Fix | None:
    if data is None:
        return None
    title, safe, edits = data
    return Fix(title, tuple(TextEdit(*edit) for edit in edits), safe)


def encode_finding(f: Finding) -> tuple:
    return (f.code, f.severity.value, f.message, f.line, f.column, f.end_line, f.end_column, f.column_utf16,
            f.end_column_utf16, f.pointer, f.scope, _encode_fix(f.fix), tuple((r.line, r.message) for r in f.related))


def decode_finding(data: tuple, shift: int = 0) -> Finding:
    (code, severity, message, line, column, end_line, end_column, column16, end16, ptr, scope, fix, related) = data
    finding = Finding(code, _SEVERITIES[severity], message, line, column, end_line, end_column, column16, end16,
                      ptr, scope, _decode_fix(fix), tuple(Related(*r) for r in related))
    return finding.shifted(shift)


def encode_result(result: LineResult) -> tuple:
    return (result.kind, result.shape, result.tokens, result.trained, result.images, result.estimated, result.digest,
            result.width, result.width_utf16, result.text, tuple(encode_finding(f) for f in result.findings))


def decode_result(data: tuple, shift: int = 0) -> LineResult:
    kind, shape, tokens, trained, images, estimated, digest, width, width16, text, findings = data
    return LineResult(kind, [decode_finding(f, shift) for f in findings], shape, tokens, trained, images, estimated,
                      digest, width, width16, text)
