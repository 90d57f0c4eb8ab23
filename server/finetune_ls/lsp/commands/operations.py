"""The fine-tuning loop as editor commands (`workspace/executeCommand`): upload, start and
follow a job, list and delete models and files, try a model on an example. The calls run
in a thread, so the server keeps answering; failures are one sentence shown to the user
(and returned as {"error": ...}), with the key in none of them.

A job being followed streams `finetune/jobStatus` and `finetune/jobMetrics`
notifications, for the client's views and loss chart."""

from __future__ import annotations

import asyncio
import json
import os
from collections import deque
from types import SimpleNamespace

from lsprotocol import types
from pygls.uris import to_fs_path

from finetune_ls.api import plain
from finetune_ls.api.connection import Connection, MissingKey, connect
from finetune_ls.api.ledger import Ledger, LedgerError
from finetune_ls.core.depth import recursion_room
from finetune_ls.core.engine import CheckSettings
from finetune_ls.core.regular_files import open_regular
from finetune_ls.lsp.wire.progress import Progress
from finetune_ls.lsp.wire.arguments import Arguments, is_number
from finetune_ls.lsp.server import FinetuneServer, server

SET_API_KEY = "finetune.setApiKey"
JOB_STATUS = "finetune/jobStatus"
JOB_METRICS = "finetune/jobMetrics"
FOLLOW_POLL_SECONDS = float(os.environ.get("FINETUNE_LS_FOLLOW_POLL", "5"))
# What the ledger had to say (an id it could not record, damaged lines it skipped), from
# whichever thread; shown to the user by the event loop after each call, each note once
# (every command reads the ledger anew, and would name the same damaged line again).
_ledger_notes: deque[str] = deque()
_noted: set[str] = set()


def _note(message: str) -> None:
    if message not in _noted:
        _noted.add(message)
        _ledger_notes.append(message)


def api_modules() -> SimpleNamespace:
    """The API modules, imported when a command first needs them: the SDK takes ~0.5 s to
    import, which every start of the server would pay otherwise."""
    import openai

    from finetune_ls.api import answers, complete, entra, errors, files, jobs, models
    return SimpleNamespace(openai=openai, answers=answers, complete=complete, entra=entra, errors=errors, files=files,
                           jobs=jobs, models=models)


async def run_call(ls: FinetuneServer, work, *args):
    """Run `work(connection, *args)` in a thread; its result, or {"error": sentence} after
    showing the sentence."""
    api = api_modules()
    session = None
    try:
        session = connect(ls.settings.provider_config(), ls.api_key)
        return await asyncio.to_thread(work, session, *args)
    except (MissingKey, api.entra.MissingExtra, api.entra.SignInFailed, api.errors.Cancelled, api.jobs.JobRefused,
            api.files.CheckFailed, LedgerError, api.answers.MalformedAnswer, api.openai.OpenAIError, OSError,
            ValueError) as error:
        message = str(error) if isinstance(error, (api.jobs.JobRefused, api.files.CheckFailed, LedgerError)) else \
            api.errors.explain(error, *session.context() if session else ("the API", ls.api_key))
        ls.show(f"finetune-ls: {message}", types.MessageType.Error)
        return {"error": message}
    finally:
        show_ledger_notes(ls)


def show_ledger_notes(ls: FinetuneServer) -> None:
    while _ledger_notes:
        ls.show(f"finetune-ls: {_ledger_notes.popleft()}", types.MessageType.Warning)


def failed(result) -> bool:
    """Whether `_run` gave a failure ({"error": sentence} and nothing else)."""
    return isinstance(result, dict) and set(result) == {"error"}


def ledger_for(ls: FinetuneServer, path: str | None = None) -> Ledger:
    root = ls.workspace.root_path if ls.workspace and ls.workspace.root_path else None
    return Ledger(root or (os.path.dirname(path) if path else os.getcwd()), warn=_note)


async def _confirm(ls: FinetuneServer, question: str, action: str) -> bool:
    """Ask with a message the user answers with a button; no answer is a no."""
    try:
        answer = await ls.window_show_message_request_async(types.ShowMessageRequestParams(
            type=types.MessageType.Warning, message=question,
            actions=[types.MessageActionItem(title=action), types.MessageActionItem(title="Cancel")]))
    except Exception:  # noqa: BLE001 - a client without message requests cannot confirm
        return False
    return answer is not None and answer.title == action


# ---------------------------------------------------------------- key
@server.command(SET_API_KEY)
def set_api_key(ls: FinetuneServer, *args) -> dict:
    """The editor hands the key over at run time (it keeps it in its secret storage).
    `needsKey` is false when calls sign in without one (Azure with Microsoft Entra ID): the
    client then asks for none."""
    key = Arguments(SET_API_KEY, args, ("key",)).value("key", "text, or null to forget it",
                                                         lambda value: isinstance(value, str), None)
    ls.api_key = key.strip() if isinstance(key, str) and key.strip() else None
    return {"ok": True, "hasKey": ls.api_key is not None,
            "needsKey": not ls.settings.provider_config().uses_entra()}


# ---------------------------------------------------------------- files
@server.command("finetune.upload")
async def upload(ls: FinetuneServer, *args) -> dict:
    """Arguments: {uri, force, new}. A file this workspace uploaded before with the same
    content is reused (the answer says `reused` and its ledger time, `uploadedAt`) unless
    `new` is true."""
    given = Arguments("finetune.upload", args, ("uri", "force", "new"))
    uri, force, new = given.uri(), given.flag("force", False), given.flag("new", False)
    path = to_fs_path(uri)
    problem = await _unsaved_or_missing(ls, uri, path)
    if problem:
        return {"error": problem}
    settings = CheckSettings(model=ls.settings.model, method=ls.settings.method, provider=ls.settings.provider)
    async with Progress(ls, f"Uploading {os.path.basename(path)}", cancellable=True) as progress:
        def sent(done: int, total: int) -> None:
            progress.report(f"{done / 1e6:,.1f} of {total / 1e6:,.1f} MB", 100 * done // max(1, total))

        def work(session: Connection) -> dict:
            done = api_modules().files.upload(session.client, path, ledger_for(ls, path), settings=settings, force=force,
                                              progress=sent, cancelled=progress.cancelled, reuse=not new)
            return {"file": plain(done.file), "uploadId": done.upload_id, "reused": done.reused,
                    **({"uploadedAt": done.uploaded_at} if done.reused else {})}

        return await run_call(ls, work)


@server.command("finetune.uploadedCopy")
async def uploaded_copy(ls: FinetuneServer, *args) -> dict | None:
    """Argument: {uri}. The file this workspace uploaded before with the same content, that
    the API still has: {id, filename, bytes, uploadedAt}; null when there is none, when the
    document has unsaved changes (what is on disk is not what the editor shows), or when the
    API cannot be asked (Start Job then goes on without offering it, and says why later)."""
    uri = Arguments("finetune.uploadedCopy", args, ("uri",)).uri()
    path = to_fs_path(uri)
    if await _unsaved_or_missing(ls, uri, path, quiet=True):
        return None
    api = api_modules()
    try:
        session = connect(ls.settings.provider_config(), ls.api_key)
        found = await asyncio.to_thread(api.files.uploaded_copy, session.client, ledger_for(ls, path), path)
    except (MissingKey, api.entra.MissingExtra, api.entra.SignInFailed, LedgerError, api.answers.MalformedAnswer,
            api.openai.OpenAIError, OSError, ValueError):
        return None
    finally:
        show_ledger_notes(ls)
    if found is None:
        return None
    return {"id": found.file.id, "filename": found.file.filename, "bytes": found.file.bytes,
            "uploadedAt": found.uploaded_at}


async def _unsaved_or_missing(ls: FinetuneServer, uri: str, path: str | None, quiet: bool = False) -> str | None:
    """Why the file on disk cannot stand for the document (not a file, unreadable, or
    unsaved changes), shown unless `quiet`; None when it can."""
    if not path or not os.path.isfile(path):
        problem = f"{uri} is not a file on disk." if uri else "finetune.upload needs the URI of a file as its argument."
    else:
        state = ls.documents.get(uri)
        try:
            on_disk = await asyncio.to_thread(_unless_big, path) if state is not None else None  # off the event loop
        except OSError as error:  # replaced by a pipe, or gone, since the test above
            problem = f"cannot read {path}: {error.strerror or error}"
        else:
            if on_disk is None or on_disk.decode("utf-8", "replace") == state.document.source:
                return None
            if not quiet:
                ls.show(f"finetune-ls: save {state.name} first: the file on disk is what gets uploaded.",
                        types.MessageType.Warning)
            return "unsaved changes"
    if not quiet:
        ls.show(f"finetune-ls: {problem}", types.MessageType.Warning)
    return problem


def _unless_big(path: str) -> bytes | None:
    """The file's bytes, to compare with the open document, unless it is too big to hold twice."""
    with open_regular(path) as handle:
        return None if os.fstat(handle.fileno()).st_size >= 64_000_000 else handle.read()


@server.command("finetune.listFiles")
async def list_files(ls: FinetuneServer, *args) -> list | dict:
    Arguments("finetune.listFiles", args, ())
    return await run_call(ls, lambda session: plain(api_modules().files.list_files(session.client, "fine-tune")))


@server.command("finetune.deleteFile")
async def delete_file(ls: FinetuneServer, *args) -> dict:
    file_id = Arguments("finetune.deleteFile", args, ("id",)).text("id")
    if not await _confirm(ls, f"Delete the file {file_id}? It cannot be undone.", "Delete"):
        return {"id": file_id, "deleted": False, "cancelled": True}
    return await run_call(ls, lambda s: {"id": file_id,
                                     "deleted": api_modules().files.delete_file(s.client, file_id, ledger_for(ls))})


# ---------------------------------------------------------------- jobs
@server.command("finetune.createJob")
async def create_job(ls: FinetuneServer, *args) -> dict:
    """Arguments: {trainingFile (an id, or a document URI uploaded first), model, method,
    hyperparameters, suffix, seed, validationFile, metadata, trainingType (Azure; default:
    the trainingType setting), newUpload (upload local files again rather than reuse the
    ledger's upload of the same content)}. The cost estimate and a confirmation come before
    the job is made."""
    options = _job_options(args)
    model = options.get("model") or ls.settings.model
    if not model:
        return {"error": "Which model? Give `model`, or set finetune.model."}
    training = options.get("trainingFile")
    path = to_fs_path(training) if isinstance(training, str) and training.startswith("file:") else None
    method = options.get("method") or "supervised"
    jobs = api_modules().jobs
    # The setting is Azure's default; a training type given with the call is refused elsewhere.
    training_type = options.get("trainingType") or (ls.settings.training_type if ls.settings.provider == "azure"
                                                    else None)
    request = jobs.JobRequest(model, path or training, method, dict(options.get("hyperparameters") or {}),
                              options.get("suffix"), options.get("seed"), options.get("validationFile"),
                              dict(options.get("metadata") or {}), training_type)
    problem = jobs.training_type_refusal(request, ls.settings.provider)
    if problem:
        ls.show(f"finetune-ls: {problem}", types.MessageType.Error)
        return {"error": problem}
    settings = CheckSettings(model=model, method=method, provider=ls.settings.provider, catalog=ls.catalog,
                             training_type=training_type)
    ledger = ledger_for(ls, path)
    reuse = not options.get("newUpload")
    planned = await run_call(ls, lambda session: jobs.plan(session.client, ledger, ls.catalog, settings, request,
                                                           reuse=reuse))
    if failed(planned):
        return planned
    kind = f"{method} {training_type}" if training_type else method
    question = f"Start a {kind} fine-tuning job on {model} ({jobs.estimate(planned.summary)})?"
    if not await _confirm(ls, question, "Start job"):
        return {"cancelled": True, "estimate": planned.summary}
    created = await run_call(ls, lambda session: jobs.create_job(session.client, ledger, planned.request))
    if failed(created):
        return created
    if created.others:
        ids = ", ".join(made.id for made in created.all)
        ls.show(f"finetune-ls: {len(created.all)} jobs were made for this one request (an attempt that seemed lost "
                f"was made after all): {ids}. All are in the ledger; cancel the ones you do not want.",
                types.MessageType.Warning)
    return {"job": plain(created.job), "estimate": planned.summary,
            **({"duplicates": plain(created.others)} if created.others else {})}


def _job_options(args: tuple) -> dict:
    """createJob's options object, each one checked (InvalidParams names a wrong one)."""
    from finetune_ls.lsp.settings import TRAINING_TYPES

    given = Arguments("finetune.createJob", args, ("trainingFile", "model", "method", "hyperparameters", "suffix",
                                                  "seed", "validationFile", "metadata", "trainingType", "newUpload"))
    return {"trainingFile": given.text("trainingFile"), "model": given.text("model", None),
            "method": given.text("method", None),
            "hyperparameters": given.object("hyperparameters", 'an object of numbers or text, e.g. {"n_epochs": 3}',
                                            lambda v: isinstance(v, str) or is_number(v), None),
            "suffix": given.text("suffix", None), "seed": given.integer("seed", None, 0, 2**31 - 1),
            "validationFile": given.text("validationFile", None),
            "metadata": given.object("metadata", "an object of text values", lambda v: isinstance(v, str), None),
            "trainingType": given.text("trainingType", None, TRAINING_TYPES),
            "newUpload": given.flag("newUpload", False)}


@server.command("finetune.trainableModels")
async def trainable_models(ls: FinetuneServer, *args) -> dict:
    """The models a job can start on: those of the catalog that can still be trained for
    the format (chat by default), and that the account sees in models.list (without a
    connection: the catalog's, with a note)."""
    fmt = Arguments("finetune.trainableModels", args, ("format",)).text("format", "chat")
    known = ls.catalog.trainable(fmt, CheckSettings().resolved_today())
    listed = await run_call(ls, lambda session: {model.id for model in api_modules().answers.listed(
        session.client.models.list, "the model list")})
    if failed(listed):
        return {"models": [m.id for m in known], "note": listed["error"]}
    return {"models": [m.id for m in known if m.id in listed or listed & set(m.aliases)]}


@server.command("finetune.listJobs")
async def list_jobs(ls: FinetuneServer, *args) -> list | dict:
    Arguments("finetune.listJobs", args, ())
    result = await run_call(ls, lambda session: plain(api_modules().jobs.list_jobs(session.client)))
    if failed(result):  # offline: the ledger still knows them
        try:
            known = list(ledger_for(ls).entries("job"))
        except LedgerError as error:
            return {**result, "ledger": [], "ledgerError": str(error)}
        show_ledger_notes(ls)
        return {**result, "ledger": known}
    return result


@server.command("finetune.followJob")
async def follow_job(ls: FinetuneServer, *args) -> dict:
    """Follow a job until it ends: its status and every metrics point go to the client as
    notifications; the answer is the job as it ended."""
    job_id = Arguments("finetune.followJob", args, ("id",)).text("id")
    loop = asyncio.get_running_loop()

    def tell(method: str, params: dict) -> None:
        loop.call_soon_threadsafe(ls.protocol.notify, method, params)

    def on_event(event) -> None:
        metrics = api_modules().jobs.metrics_of(event)
        if metrics:
            tell(JOB_METRICS, {"jobId": job_id, **metrics})

    def work(session: Connection) -> dict:
        final = None
        jobs = api_modules().jobs
        for final in jobs.follow(session.client, job_id, on_event=on_event, poll=FOLLOW_POLL_SECONDS):
            tell(JOB_STATUS, {"jobId": job_id, "status": final.status, "job": plain(final),
                              "estimatedFinish": jobs.estimated_finish(final)})
        if final is not None and final.fine_tuned_model:
            ledger_for(ls).record("model", final.fine_tuned_model, job=final.id)
        return plain(final)

    return await run_call(ls, work)


def _job_action(command: str, name: str, confirm: str | None = None):
    async def act(ls: FinetuneServer, *args) -> dict:
        job_id = Arguments(command, args, ("id",)).text("id")
        if confirm and not await _confirm(ls, confirm.format(job_id), name.capitalize() + " job"):
            return {"id": job_id, "cancelled": True}

        def work(session: Connection) -> dict:
            job = api_modules().answers.made(lambda: getattr(session.client.fine_tuning.jobs, name)(job_id),
                                             f"the job {name}")
            if name != "retrieve":
                ledger_for(ls).record(f"job-{name}", job.id, status=job.status)
            return plain(job)

        return await run_call(ls, work)
    return act


for _command, *_action in [("finetune.showJob", "retrieve"),
                           ("finetune.cancelJob", "cancel", "Cancel the fine-tuning job {}? It cannot be resumed."),
                           ("finetune.pauseJob", "pause"), ("finetune.resumeJob", "resume")]:
    server.command(_command)(_job_action(_command, *_action))


@server.command("finetune.jobEvents")
async def job_events(ls: FinetuneServer, *args) -> list | dict:
    job_id = Arguments("finetune.jobEvents", args, ("id",)).text("id")
    return await run_call(ls, lambda session: plain(api_modules().jobs.events(session.client, job_id)))


@server.command("finetune.jobCheckpoints")
async def job_checkpoints(ls: FinetuneServer, *args) -> list | dict:
    job_id = Arguments("finetune.jobCheckpoints", args, ("id",)).text("id")
    return await run_call(ls, lambda session: plain(api_modules().jobs.checkpoints(session.client, job_id)))


@server.command("finetune.copyCheckpoint")
async def copy_checkpoint(ls: FinetuneServer, *args) -> dict:
    """Azure: {job, checkpoint, destination (a resource id), region} -> Azure's answer."""
    given = Arguments("finetune.copyCheckpoint", args, ("job", "checkpoint", "destination", "region"))
    job, checkpoint = given.text("job"), given.text("checkpoint")
    destination, region = given.text("destination"), given.text("region")
    if ls.settings.provider != "azure":
        problem = "Copying a checkpoint to another resource is an Azure OpenAI feature: set finetune.provider to azure."
        ls.show(f"finetune-ls: {problem}", types.MessageType.Error)
        return {"error": problem}
    return await run_call(ls, lambda session: api_modules().jobs.copy_checkpoint(
        session.client, ledger_for(ls), job, checkpoint, destination, region))


# ---------------------------------------------------------------- models
@server.command("finetune.listModels")
async def list_models(ls: FinetuneServer, *args) -> list | dict:
    Arguments("finetune.listModels", args, ())
    return await run_call(ls, lambda s: [m.__dict__ for m in api_modules().models.list_fine_tuned(s.client, ls.catalog)])


@server.command("finetune.deleteModel")
async def delete_model(ls: FinetuneServer, *args) -> dict:
    model = Arguments("finetune.deleteModel", args, ("id",)).text("id")
    if not await _confirm(ls, f"Delete the model {model}? It cannot be undone.", f"Delete {model}"):
        return {"id": model, "deleted": False, "cancelled": True}
    return await run_call(ls, lambda s: {"id": model,
                                     "deleted": api_modules().models.delete_model(s.client, model, ledger_for(ls))})


@server.command("finetune.tryModel")
async def try_model(ls: FinetuneServer, *args) -> dict:
    """The example on a line of an open document, sent to a model: its answer beside the
    expected one, the tokens and what the call cost (null, with `cost_note` saying why, when
    the catalog has no price). Shown to the user as a message, unless the client shows
    trials itself (VS Code's diff editor)."""
    given = Arguments("finetune.tryModel", args, ("uri", "line", "model"))
    uri, line, model = given.uri(), given.integer("line", minimum=0), given.text("model", None)

    def refused(message: str) -> dict:
        ls.show(f"finetune-ls: {message}", types.MessageType.Error)
        return {"error": message}

    state = ls.documents.get(uri)
    if state is None or not line < len(state.document.contents):
        return refused("Open the file and put the cursor on an example.")
    try:
        with recursion_room():  # an example as deep as check accepts
            example = json.loads(state.document.contents[line].lstrip("\ufeff"))
        if not isinstance(example, dict):
            raise ValueError("not a JSON object")
        api_modules().complete.split_example(example)
    except (ValueError, RecursionError) as error:
        return refused(f"Line {line + 1} cannot be sent: {error}.")
    model = model or ls.settings.model
    if not model:
        return refused("Which model? Give `model` (a fine-tuned model id).")
    from finetune_ls.lsp.commands.deployments import deployment_to_call  # (it imports this module)

    deployment = await deployment_to_call(ls, model)
    if failed(deployment):
        return deployment
    complete = api_modules().complete
    trial = await run_call(ls, lambda s: complete.try_model(s.client, deployment, example))
    if failed(trial):
        return trial
    # Priced by where the call went: Azure's catalog on Azure; none for a compatible service's own prices.
    catalog, _ = ls.settings.catalog_or_problem("azure" if ls.settings.provider == "azure" else "openai")
    cost, cost_note = complete.call_cost(catalog, model, trial, priced=ls.settings.provider != "compatible")
    result = {**trial.__dict__, "model": model, "line": line + 1, "cost": cost, "cost_note": cost_note}
    if not _shows_trials(ls):
        tokens = f"{trial.prompt_tokens} in / {trial.completion_tokens} out tokens"
        ls.show(f"{model} on line {line + 1}:\nexpected: {complete.shown(trial.expected, trial.expected_tool_calls)}"
                f"\nanswer: {complete.shown(trial.answer, trial.answer_tool_calls)}\n"
                f"({tokens}, {f'${cost:.6f}' if cost is not None else cost_note})")
    return result


def _shows_trials(ls: FinetuneServer) -> bool:
    """Whether the client shows a trial itself (VS Code opens a diff editor) and so wants no
    message: it says so in its experimental capabilities, {"finetune": {"showsTrials": true}}."""
    experimental = ls.client_capabilities.experimental
    own = experimental.get("finetune") if isinstance(experimental, dict) else None
    return isinstance(own, dict) and own.get("showsTrials") is True
