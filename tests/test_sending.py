"""The server's own writing of messages gives what pygls's would, faster."""

import json

import orjson
from lsprotocol import types
from lsprotocol.converters import get_converter

from finetune_ls.core.engine import check_text
from finetune_ls.lsp.documents.convert import to_diagnostics
from finetune_ls.lsp.wire.sending import unstructure_diagnostic

BROKEN = "\n".join([
    '{"messages":[{"role":"model","content":"hi"}]}',
    '{"messages":[{"role":"user","content":"mail me at jane.doe@corp-mail.net 😀"},{"role":"assistant","content":"ok"}]}',
    '{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y","weight":1.0}]}',
    '{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y","weight":1.0}]}',
    '{"messages":[',
]) + "\n"


def _every_kind_of_diagnostic() -> list[types.Diagnostic]:
    report = check_text(BROKEN)
    lines = BROKEN.split("\n")
    made = to_diagnostics(report.findings, "file:///t.jsonl", lines, types.PositionEncodingKind.Utf16, 1000)
    here = types.Range(types.Position(1, 2), types.Position(3, 4))
    made.append(types.Diagnostic(
        range=here, message="every field", severity=types.DiagnosticSeverity.Hint, code=7,
        code_description=types.CodeDescription(href="https://example.org/rule"), source="finetune-ls",
        tags=[types.DiagnosticTag.Unnecessary, types.DiagnosticTag.Deprecated],
        related_information=[types.DiagnosticRelatedInformation(
            location=types.Location(uri="file:///t.jsonl", range=here), message="there")],
        data={"fix": {"edits": [[0, 1, 0, 2, "é"]]}, "n": None}))
    made.append(types.Diagnostic(range=here, message="bare", tags=[]))
    return made


def test_diagnostics_are_written_as_lsprotocol_writes_them():
    diagnostics = _every_kind_of_diagnostic()
    codes = {d.code for d in diagnostics}
    assert {"unknown-role", "invalid-weight", "duplicate-example", "email-in-text"} <= codes
    assert any(d.related_information for d in diagnostics) and any(d.data for d in diagnostics)
    reference = get_converter()
    for diagnostic in diagnostics:
        assert unstructure_diagnostic(diagnostic) == reference.unstructure(diagnostic)


def test_a_whole_message_encodes_to_the_same_json():
    params = types.PublishDiagnosticsParams(uri="file:///t.jsonl", diagnostics=_every_kind_of_diagnostic(), version=3)
    reference = get_converter()
    from finetune_ls.lsp.server import server

    ours = orjson.loads(orjson.dumps(server.protocol._converter.unstructure(params)))
    assert ours == json.loads(json.dumps(reference.unstructure(params)))
