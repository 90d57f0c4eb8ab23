"""Quick fixes and fix-all. A fix travels in its diagnostic's `data`, so a quick fix is
computed from the diagnostic alone; fix-all applies every safe fix, re-checking between
rounds (two fixes can touch the same characters), and hands the editor one edit it can undo."""

from __future__ import annotations

from lsprotocol import types

from finetune_ls.core.document import DocumentCheck
from finetune_ls.core.edits import apply_edits
from finetune_ls.core.lines import split_lines
from finetune_ls.lsp.documents.convert import edit_range, fix_from_data
from finetune_ls.lsp.documents.document import from_code_points
from finetune_ls.lsp.server import FinetuneServer, for_document, guarded, server
from finetune_ls.lsp.documents.state import OpenDocument

FIX_ALL = types.CodeActionKind.SourceFixAll + ".finetune"
MAX_FIX_ROUNDS = 10


def _workspace_edit(state: OpenDocument, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    identifier = types.OptionalVersionedTextDocumentIdentifier(uri=state.uri, version=state.document.version)
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=identifier, edits=edits)])


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL],
                                        resolve_provider=True))
@for_document("computing quick fixes", default=[])
def code_actions(ls: FinetuneServer, state: OpenDocument, params: types.CodeActionParams) -> list[types.CodeAction]:
    only = params.context.only
    actions: list[types.CodeAction] = []
    if not only or any(kind.startswith(types.CodeActionKind.QuickFix) for kind in only):
        contents = state.document.contents
        for diagnostic in params.context.diagnostics:
            fix = fix_from_data(diagnostic.data)
            if fix is None:
                continue
            edits = [types.TextEdit(range=edit_range(edit, contents, state.document.encoding), new_text=edit.new_text)
                     for edit in fix.edits]
            actions.append(types.CodeAction(title=fix.title, kind=types.CodeActionKind.QuickFix,
                                            diagnostics=[diagnostic], edit=_workspace_edit(state, edits),
                                            is_preferred=fix.safe))
    title = "Fix all safe finetune-ls problems"
    if only and any(FIX_ALL.startswith(kind) for kind in only):  # asked for (e.g. on save): compute it now
        edit = fix_all_edit(state)
        if edit is not None:
            actions.append(types.CodeAction(title=title, kind=FIX_ALL, edit=edit))
    elif not only and any(fix_from_data(d.data) for d in params.context.diagnostics):
        # Offered next to the quick fixes; its edit is computed only if chosen, when the
        # client resolves edits later, else now.
        if _resolves_edits(ls):
            actions.append(types.CodeAction(title=title, kind=FIX_ALL, data={"uri": state.uri}))
        elif (edit := fix_all_edit(state)) is not None:
            actions.append(types.CodeAction(title=title, kind=FIX_ALL, edit=edit))
    return actions


def _resolves_edits(ls: FinetuneServer) -> bool:
    text = ls.client_capabilities.text_document
    support = text.code_action.resolve_support if text and text.code_action else None
    return bool(support and "edit" in support.properties)


@server.feature(types.CODE_ACTION_RESOLVE)
@guarded("fixing all problems")
def resolve_code_action(ls: FinetuneServer, action: types.CodeAction) -> types.CodeAction:
    state = ls.documents.get(action.data.get("uri")) if isinstance(action.data, dict) else None
    if state is not None and action.kind == FIX_ALL:
        action.edit = fix_all_edit(state) or types.WorkspaceEdit()
    return action


def fix_all_text(check: DocumentCheck, text: str) -> str:
    """The text with every safe fix applied, round after round until none is left."""
    lines = split_lines(text)
    for _ in range(MAX_FIX_ROUNDS):
        probe = DocumentCheck(check.path, check.settings)
        probe.open(lines)
        edits, used = [], []
        for finding in probe.report().findings:
            if finding.fix is None or not finding.fix.safe:
                continue
            spans = [(e.start_line, e.start_column, e.end_line, e.end_column) for e in finding.fix.edits]
            if any(_overlaps(span, other) for span in spans for other in used):
                continue  # touches what another fix changes: the next round takes it
            used.extend(spans)
            edits.extend(finding.fix.edits)
        if not edits:
            break
        text = apply_edits(text, edits)
        lines = split_lines(text)
    return text


def _one_round(state: OpenDocument) -> types.WorkspaceEdit | None:
    """For a big document, the safe fixes of its current report that do not touch each
    other, as they are (checking it again round after round would take too long)."""
    edits, used = [], []
    contents, encoding = state.document.contents, state.document.encoding
    for finding in state.check.report().findings:
        if finding.fix is None or not finding.fix.safe:
            continue
        spans = [(e.start_line, e.start_column, e.end_line, e.end_column) for e in finding.fix.edits]
        if any(_overlaps(span, other) for span in spans for other in used):
            continue
        used.extend(spans)
        edits.extend(types.TextEdit(range=edit_range(e, contents, encoding), new_text=e.new_text)
                     for e in finding.fix.edits)
    return _workspace_edit(state, edits) if edits else None


def _overlaps(a: tuple, b: tuple) -> bool:
    return not ((a[2], a[3]) < (b[0], b[1]) or (b[2], b[3]) < (a[0], a[1]))


def fix_all_edit(state: OpenDocument) -> types.WorkspaceEdit | None:
    """One edit over the changed lines, so the editor applies (and undoes) it at once."""
    if state.loading:
        return None
    if state.large:
        return _one_round(state)
    before = state.document.source
    after = fix_all_text(state.check, before)
    if after == before:
        return None
    old, new = split_lines(before), split_lines(after)
    first = 0
    while first < min(len(old), len(new)) and old[first] == new[first]:
        first += 1
    last_old, last_new = len(old) - 1, len(new) - 1
    while last_old >= first and last_new >= first and old[last_old] == new[last_new]:
        last_old, last_new = last_old - 1, last_new - 1
    encoding = state.document.encoding
    newline = state.document.newline()
    start = types.Position(first, 0)
    if last_old + 1 < len(old):
        end = types.Position(last_old + 1, 0)
        replacement = "".join(line + newline for line in new[first:last_new + 1])
    else:
        end = types.Position(len(old) - 1, from_code_points(old[-1], len(old[-1]), encoding))
        replacement = newline.join(new[first:])
    return _workspace_edit(state, [types.TextEdit(range=types.Range(start, end), new_text=replacement)])
