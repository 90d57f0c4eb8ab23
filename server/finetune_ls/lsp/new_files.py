"""New files made by the editor: a workspace edit that creates a file and fills it, so the
editor shows it, can undo it, and refuses it when the file exists meanwhile."""

from __future__ import annotations

from lsprotocol import types


def creates_files(ls) -> bool:
    """Whether the client applies workspace edits that create files."""
    workspace = ls.client_capabilities.workspace
    edit = workspace.workspace_edit if workspace else None
    return bool(workspace and workspace.apply_edit and edit and edit.document_changes
                and types.ResourceOperationKind.Create in (edit.resource_operations or ()))


def new_file_changes(uri: str, text: str, overwrite: bool = False) -> list:
    """The document changes that create `uri` (replacing a file only when `overwrite`) with `text` in it."""
    start = types.Position(0, 0)
    return [types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=overwrite, ignore_if_exists=False)),
            types.TextDocumentEdit(text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                                   edits=[types.TextEdit(range=types.Range(start, start), new_text=text)])]
