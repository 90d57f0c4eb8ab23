"""`finetune-ls files upload|list|delete`.

Exit status: 0 done, 1 refused (errors in the file, the API said no, not confirmed),
2 usage problem."""

from __future__ import annotations

import argparse
import os
import sys
import time

from finetune_ls.cli import connect
from finetune_ls.cli.numbers import whole
from finetune_ls.cli.progress import Progress
from finetune_ls.core.engine import CheckSettings


def add_parser(commands) -> None:
    parser = commands.add_parser("files", help="upload, list and delete training files",
                                 description="Training files on OpenAI (or the configured provider).")
    actions = connect.subcommands(parser)
    upload = connect.action(actions, "upload", "check a file, then upload it (the Uploads API above 512 MB); "
                            "a file this workspace uploaded before with the same content is reused", run_upload)
    upload.add_argument("path", metavar="PATH")
    upload.add_argument("--purpose", default="fine-tune")
    upload.add_argument("--model", help="target model for the check (default: per format)")
    upload.add_argument("--method", choices=("supervised", "dpo", "reinforcement"))
    upload.add_argument("--force", action="store_true", help="upload even if the check finds errors")
    upload.add_argument("--no-wait", action="store_true", help="do not wait until the file is processed")
    upload.add_argument("--new", action="store_true",
                        help="upload again even when the ledger holds an upload of the same content")
    listing = connect.action(actions, "list", "list uploaded files", run_list)
    listing.add_argument("--purpose", help="only files of this purpose (e.g. fine-tune)")
    listing.add_argument("--limit", type=whole(1, 10_000), default=100)
    delete = connect.action(actions, "delete", "delete an uploaded file (asks first)", run_delete, confirm="delete")
    delete.add_argument("file_id", metavar="FILE_ID")
    for sub in (upload, listing, delete):
        connect.add_options(sub)


def run_upload(args: argparse.Namespace) -> int:
    from finetune_ls.api import files

    if not os.path.isfile(args.path):
        connect.fail(f"{args.path} is not a file.")
        return 2

    def action(client, ledger) -> int:
        bar = Progress(os.path.basename(args.path), os.path.getsize(args.path)) \
            if sys.stderr.isatty() and not args.json else None
        try:
            done = files.upload(client, args.path, ledger, purpose=args.purpose, force=args.force,
                                settings=CheckSettings(model=args.model, method=args.method),
                                progress=bar, wait=not args.no_wait, reuse=not args.new)
        except files.CheckFailed as refused:
            connect.fail(str(refused))
            return 1
        finally:
            if bar:
                bar.done()
        uploaded = done.file
        via = f" (upload {done.upload_id})" if done.upload_id else ""
        if done.reused:
            via += f" ({reused_note(done)}; --new uploads again)"
        connect.emit(args, {"file": uploaded, "upload_id": done.upload_id, "reused": done.reused,
                            **({"uploaded_at": done.uploaded_at} if done.reused else {})},
                     f"{uploaded.id}  {uploaded.filename}  {uploaded.bytes:,} bytes  {uploaded.status}{via}")
        return 0 if uploaded.status != "error" else 1

    return connect.run_api(args, action)


def run_list(args: argparse.Namespace) -> int:
    from finetune_ls.api import files

    def action(client, ledger) -> int:
        found = files.list_files(client, args.purpose, args.limit)
        rows = [f"{f.id}  {_when(f.created_at)}  {f.bytes:>12,}  {f.purpose:<18} {f.filename}" for f in found]
        connect.emit(args, found, "\n".join(rows) if rows else "no files")
        return 0

    return connect.run_api(args, action)


def run_delete(args: argparse.Namespace) -> int:
    from finetune_ls.api import answers, files

    def action(client, ledger) -> int:
        found = answers.made(lambda: client.files.retrieve(args.file_id), "the file lookup")
        return connect.delete_after_asking(args, found.id, f"Delete {found.id} ({found.filename}, {found.bytes:,} bytes)?",
                                           lambda: files.delete_file(client, found.id, ledger))

    return connect.run_api(args, action)


def reused_note(done) -> str:
    """How a reused upload is described: when it was uploaded (the ledger's day, UTC)."""
    day = (done.uploaded_at or "")[:10]
    return f"already uploaded{' on ' + day if day else ''}, same content"


def _when(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(timestamp))
