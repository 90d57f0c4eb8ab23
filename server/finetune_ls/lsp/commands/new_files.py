"""New files made by the editor: a workspace edit that creates a file and fills it, so the
editor shows it, can undo it, and refuses it when the file exists meanwhile; and where the
server lets them be made (inside the workspace)."""

from __future__ import annotations

import os

from lsprotocol import types
from pygls.uris import to_fs_path


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


def workspace_folders(ls) -> list[str]:
    """The workspace folders the client announced (its root when it named no folder), as
    real paths; followed as the client adds and removes folders."""
    workspace = ls.workspace
    folders = [to_fs_path(folder.uri) for folder in workspace.folders.values()]
    if not folders and workspace.root_path:
        folders = [workspace.root_path]
    return [os.path.realpath(folder) for folder in folders if folder]


def misplaced(ls, input_path: str, output_path: str) -> str | None:
    """Why the server may not write `output_path` (None: it may). A command's arguments
    come from the client, so what they name is held to where the user works: inside one of
    the workspace folders, or, with none, beside the input. `..` and symbolic links are
    resolved first (a link in the workspace may lead anywhere)."""
    where = os.path.realpath(output_path)
    folders = workspace_folders(ls)
    if folders:
        if any(os.path.commonpath([where, folder]) == folder for folder in folders):
            return None
        return f"{output_path} is outside the workspace folders; outputs are written only inside them"
    if os.path.dirname(where) == os.path.realpath(os.path.dirname(os.path.abspath(input_path))):
        return None
    return f"{output_path} is not beside {os.path.basename(input_path)}; without a workspace folder outputs go " \
           "only next to their input"
