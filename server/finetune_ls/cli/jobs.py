"""`finetune-ls jobs create|list|show|events|cancel|pause|resume|checkpoints|copy-checkpoint`.

Exit status: 0 done (for `events --follow`: the job succeeded), 1 refused or failed,
2 usage problem."""

from __future__ import annotations

import argparse
import json
import time

from finetune_ls.api import plain
from finetune_ls.cli import connect
from finetune_ls.cli.files import reused_note
from finetune_ls.cli.numbers import real, whole
from finetune_ls.core.catalog import bundled_catalog
from finetune_ls.core.engine import CheckSettings


def add_parser(commands) -> None:
    parser = commands.add_parser("jobs", help="start, follow and stop fine-tuning jobs",
                                 description="Fine-tuning jobs on OpenAI (or the configured provider).")
    actions = connect.subcommands(parser)
    create = connect.action(actions, "create", "check, estimate the cost, confirm, then start a job", run_create,
                            confirm="start the job")
    create.add_argument("training", metavar="TRAINING", help="a training file id (file-...) or a local path to upload")
    create.add_argument("--model", required=True)
    create.add_argument("--method", choices=("supervised", "dpo", "reinforcement"), default="supervised")
    create.add_argument("--epochs", type=whole(1, 50), dest="n_epochs", help="1 to 50 (default: auto)")
    create.add_argument("--batch-size", type=whole(1, 256), help="1 to 256 (default: auto)")
    create.add_argument("--learning-rate-multiplier", type=real(above=0), help="greater than 0 (default: auto)")
    create.add_argument("--beta", type=real(above=0, maximum=2), help="DPO only: greater than 0, at most 2")
    create.add_argument("--suffix")
    create.add_argument("--seed", type=whole(0, 2_147_483_647))
    create.add_argument("--validation", metavar="FILE", help="a validation file id or a local path to upload")
    create.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE")
    create.add_argument("--new", action="store_true",
                        help="upload local files again even when the ledger holds an upload of the same content")
    create.add_argument("--training-type", type=_training_type, metavar="TYPE",
                        help="Azure only: Standard (in-region), GlobalStandard or Developer (default: Azure's)")
    listing = connect.action(actions, "list", "list jobs (with --offline, the ones in the ledger)", run_list)
    listing.add_argument("--limit", type=whole(1), default=20)
    listing.add_argument("--offline", action="store_true", help="only the ledger: no network")
    subs = [create, listing]
    for name, helptext in (("show", "show one job"), ("cancel", "cancel a job"), ("pause", "pause a running job"),
                           ("resume", "resume a paused job"), ("checkpoints", "list a job's checkpoints")):
        sub = connect.action(actions, name, helptext, run_simple, simple=name)
        sub.add_argument("job_id", metavar="JOB_ID")
        subs.append(sub)
    copy = connect.action(actions, "copy-checkpoint", "Azure: copy a checkpoint to another resource (preview)",
                          run_copy_checkpoint)
    copy.add_argument("job_id", metavar="JOB_ID")
    copy.add_argument("checkpoint", metavar="CHECKPOINT", help="the checkpoint's id (ftchkpt-...)")
    copy.add_argument("--destination", required=True, metavar="RESOURCE_ID",
                      help="the destination resource's id (/subscriptions/.../accounts/NAME), same tenant")
    copy.add_argument("--region", required=True, help="the destination's region, e.g. swedencentral")
    subs.append(copy)
    events = connect.action(actions, "events", "a job's events; --follow until it ends", run_events)
    events.add_argument("job_id", metavar="JOB_ID")
    events.add_argument("--follow", action="store_true")
    events.add_argument("--poll", type=real(above=0, maximum=3600), default=5.0,
                        help="seconds between polls when following (default: 5)")
    for sub in subs + [events]:
        connect.add_options(sub)


def run_create(args: argparse.Namespace) -> int:
    from finetune_ls.api import jobs

    metadata = {}
    for item in args.metadata:
        key, sep, value = item.partition("=")
        if not sep:
            connect.fail(f"--metadata takes KEY=VALUE, not {item!r}")
            return 2
        metadata[key] = value
    hyperparameters = {key: getattr(args, key) for key in ("n_epochs", "batch_size", "learning_rate_multiplier", "beta")
                       if getattr(args, key) is not None}
    request = jobs.JobRequest(args.model, args.training, args.method, hyperparameters, args.suffix, args.seed,
                              args.validation, metadata, args.training_type)
    problem = jobs.training_type_refusal(request, args.provider)
    if problem:
        connect.fail(problem)
        return 2

    def action(client, ledger) -> int:
        settings = CheckSettings(model=args.model, method=args.method, epochs=args.n_epochs, provider=args.provider,
                                 training_type=args.training_type)
        planned = jobs.plan(client, ledger, bundled_catalog(args.provider), settings, request, reuse=not args.new)
        for done in planned.reused:
            connect.fail(f"training on {done.file.id} ({done.file.filename}): {reused_note(done)}; "
                         "--new uploads again.")
        kind = f"{args.method} {args.training_type} job" if args.training_type else f"{args.method} job"
        question = (f"Start a {kind} on {args.model} with {planned.request.training_file} "
                    f"({jobs.estimate(planned.summary)})?")
        if not connect.confirmed(args, question):
            return 1
        created = jobs.create_job(client, ledger, planned.request)
        job = created.job
        if created.others:
            ids = ", ".join(made.id for made in created.all)
            connect.fail(f"{len(created.all)} jobs were made for this one request (an attempt that seemed lost was "
                         f"made after all): {ids}. All are in the ledger; cancel the ones you do not want "
                         "(finetune-ls jobs cancel JOB_ID).")
        connect.emit(args, {**plain(job), **({"duplicates": created.others} if created.others else {})},
                     "\n".join(f"{made.id}  {made.status}  {made.model}" for made in created.all))
        return 0

    return connect.run_api(args, action)


def run_list(args: argparse.Namespace) -> int:
    from finetune_ls.api import jobs

    if args.offline:
        from finetune_ls.api.ledger import Ledger, LedgerError
        try:
            recorded = list(Ledger(args.workspace, warn=connect.fail).entries("job"))
        except LedgerError as error:
            connect.fail(str(error))
            return 1
        connect.emit(args, recorded, "\n".join(f"{e['id']}  {e.get('model', '')}  {e.get('time', '')}"
                                               for e in recorded) or "no jobs in the ledger")
        return 0

    def action(client, ledger) -> int:
        found = jobs.list_jobs(client, args.limit)
        connect.emit(args, found, "\n".join(_job_line(job) for job in found) or "no jobs")
        return 0

    return connect.run_api(args, action)


def _job_line(job) -> str:
    made = time.strftime("%Y-%m-%d %H:%M", time.gmtime(job.created_at))
    return f"{job.id}  {made}  {job.status:<16} {job.model}  {job.fine_tuned_model or ''}".rstrip()


def _training_type(value: str) -> str:
    from finetune_ls.api.jobs import training_type_named
    try:
        return training_type_named(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _details(job) -> str:
    """What a job's status line leaves out: when it should end (Azure says), its training
    type (Azure echoes it), its error."""
    from finetune_ls.api.jobs import estimated_finish
    finish, kind = estimated_finish(job), (job.model_extra or {}).get("trainingType")
    return ((f"\nestimated finish: {finish}" if finish else "") + (f"\ntraining type: {kind}" if kind else "")
            + (f"\nerror: {job.error.message}" if job.error and job.error.message else ""))


def run_simple(args: argparse.Namespace) -> int:
    from finetune_ls.api import answers, jobs

    def action(client, ledger) -> int:
        api = client.fine_tuning.jobs
        if args.simple == "checkpoints":
            found = jobs.checkpoints(client, args.job_id)
            connect.emit(args, found, "\n".join(f"{c.id}  step {c.step_number}  {c.fine_tuned_model_checkpoint}"
                                                for c in found) or "no checkpoints")
            return 0
        call = {"show": api.retrieve, "cancel": api.cancel, "pause": api.pause, "resume": api.resume}[args.simple]
        job = answers.made(lambda: call(args.job_id), f"the job {args.simple}")
        if args.simple != "show":
            ledger.record(f"job-{args.simple}", job.id, status=job.status)
        connect.emit(args, job, _job_line(job) + _details(job))
        return 0

    return connect.run_api(args, action)


def run_events(args: argparse.Namespace) -> int:
    from finetune_ls.api import jobs

    def show(event) -> None:
        if args.json:
            print(json.dumps(event.model_dump(mode="json"), ensure_ascii=False), flush=True)
        else:
            print(f"{time.strftime('%H:%M:%S', time.gmtime(event.created_at))}  {event.level:<5} {event.message}",
                  flush=True)

    def action(client, ledger) -> int:
        if not args.follow:
            for event in jobs.events(client, args.job_id):
                show(event)
            return 0
        final = None
        for final in jobs.follow(client, args.job_id, on_event=show, poll=args.poll):
            if not args.json:
                finish = jobs.estimated_finish(final)
                print(f"-- {final.status}" + (f" (estimated finish {finish})" if finish else ""), flush=True)
        if final is not None and final.fine_tuned_model:
            ledger.record("model", final.fine_tuned_model, job=final.id)
        return 0 if final is not None and final.status == "succeeded" else 1

    return connect.run_api(args, action)


def run_copy_checkpoint(args: argparse.Namespace) -> int:
    from finetune_ls.api import jobs

    if args.provider != "azure":
        connect.fail("Copying a checkpoint to another resource is an Azure OpenAI feature: use --provider azure.")
        return 2

    def action(client, ledger) -> int:
        copied = jobs.copy_checkpoint(client, ledger, args.job_id, args.checkpoint, args.destination, args.region)
        states = ", ".join(f"{item.get('region')}: {item.get('status')}" for item in copied.get("copiedAccountDetails")
                           or [] if isinstance(item, dict)) or "no state given"
        connect.emit(args, copied, f"{copied.get('checkpointedModelName') or args.checkpoint} copy: {states}")
        return 0

    return connect.run_api(args, action)
