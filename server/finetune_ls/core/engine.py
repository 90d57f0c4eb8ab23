"""Check a whole training file: the one entry point the CLI, the language server
and the tests share.

    report = check_text(text, CheckSettings(model="gpt-4o-mini"))
    report = check_path("train.jsonl", CheckSettings(), progress=...)

The file's format is decided from its first lines, each line is checked on its
own (analysis.py, in parallel for big files, cached per line), and the results
are folded into file-level findings and a summary (aggregate.py, filechecks.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import NamedTuple
from datetime import date

import orjson

from finetune_ls.core import rules as R
from finetune_ls.core.aggregate import ExampleIndex, FileAggregator
from finetune_ls.core.analysis import FileContext, LineResult
from finetune_ls.core.cache import FileStat, LineCache, file_key, file_stat
from finetune_ls.core.catalog import ModelCatalog, bundled_catalog
from finetune_ls.core.filechecks import Target, file_findings, resolve_target, summarize
from finetune_ls.core.findings import Finding, Fix, Related, Severity, TextEdit, file_finding
from finetune_ls.core.lines import split_lines, split_lines_bytes
from finetune_ls.core.entries import chunk_from_record, chunk_record
from finetune_ls.core.parallel import analyze_source, default_jobs
from finetune_ls.core.records import recover
from finetune_ls.core.regular_files import open_regular, regular_size
from finetune_ls.core.shapes import CHAT, MIXED, UNKNOWN, method_format, target_formats, vote_format
from finetune_ls.core.targets import TrainingSetup, target_info, training_setup

BOM_BYTES = b"\xef\xbb\xbf"
BOM = "\ufeff"
FORMAT_SAMPLE_LINES = 1000
FORMAT_SAMPLE_BYTES = 8 * 1024 * 1024
BINARY_PROBE_BYTES = 8000
TRAINING, VALIDATION = "training", "validation"


@dataclass
class CheckSettings:
    model: str | None = None
    method: str | None = None  # supervised | dpo | reinforcement
    epochs: int | None = None
    provider: str = "openai"  # openai | azure | compatible
    count_tokens: bool = True
    today: date | None = None
    catalog: ModelCatalog | None = None
    role: str = TRAINING  # or VALIDATION (no minimum count)
    privacy: bool = True  # the privacy rules (API keys, e-mail addresses, phone and card numbers)
    training_type: str | None = None  # Azure: Standard | GlobalStandard | Developer; None: the model's default
    # Where the file will be trained (core/targets.py); None: the provider's own (openai or azure).
    target: str | None = None
    tokenizer: str | None = None  # open-weight targets: a folder holding the model's tokenizer.json
    chat_template: str | None = None  # a .jinja file that replaces the tokenizer's own template
    max_seq_length: int | None = None  # None: the trainer's default (targets.json) or the model's context
    train_on: str | None = None  # all | assistant | roles; None: the trainer's default
    roles_to_train: tuple[str, ...] | None = None  # axolotl's roles_to_train
    train_on_eos: str | None = None  # axolotl's train_on_eos
    packing: bool | None = None

    @property
    def resolved_target(self) -> str:
        return self.target or ("azure" if self.provider == "azure" else "openai")

    def resolved_catalog(self) -> ModelCatalog:
        return self.catalog or bundled_catalog(target_info(self.resolved_target).catalog)

    def resolved_today(self) -> date:
        return self.today or date.today()


@dataclass
class FileReport:
    path: str
    format: str
    findings: list[Finding]
    summary: dict
    examples_by_digest: ExampleIndex = field(default_factory=ExampleIndex, repr=False)
    bom: bool = False  # line 1 was checked without its byte-order mark: its columns are one further

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == Severity.ERROR for f in self.findings)


@dataclass(frozen=True)
class Plan:
    """Decided once per file, from its first lines and the settings."""

    format: str  # detected (or required by the method); UNKNOWN when no line is in a format
    target: Target
    context: FileContext  # context.format: what lines are checked against
    tokenizer_unavailable: str | None = None  # an open-weight target's tokenizer was not found: why
    template_unusable: str | None = None  # its chat template cannot render (no template, does not compile): why


def plan_check(sample: list[bytes | str], settings: CheckSettings) -> Plan:
    values = []
    for raw in sample:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        values.extend(value if isinstance(value, list) else (value,))  # a one-line array votes with its items
    # A file that opens with a "[" it does not close on the same line is one JSON
    # array written over many lines: every line is kept for its recovery.
    first = sample[0].lstrip() if sample else b""
    array_document = first[:1] in (b"[", "[") and _unparsable(sample[0])
    if not values:  # nothing parses line by line: maybe pretty-printed objects or a JSON array
        texts = [raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw for raw in sample]
        values = [example for record in recover(texts) for example in record.examples]
    detected = vote_format(values, settings.resolved_target)
    fmt = method_format(settings.method, detected)
    catalog = settings.resolved_catalog()
    info = target_info(settings.resolved_target)
    # An open-weight target's findings speak of the trainer (Together, TRL...), not of the provider.
    target = resolve_target(fmt, settings.model, settings.method,
                            info.id if info.open_weight else settings.provider, catalog)
    if info.open_weight and settings.tokenizer and not settings.model:
        # The folder's tokenizer is what counts, so it is the model named in findings and the
        # summary, not the catalog's default (explicit_model stays False: nobody chose it).
        from finetune_ls.core.hf_tokenizer import folder_model

        model = folder_model(settings.tokenizer)
        target = replace(target, model=model, info=catalog.resolve(model))
    check_format = fmt if fmt in target_formats(settings.resolved_target) else CHAT
    context_limit = target.info.training_context if target.info else None
    if info.open_weight and target.info and target.method == "dpo" and target.info.training_context_dpo:
        context_limit = target.info.training_context_dpo  # Together: DPO examples have a limit of their own
    training = resolved = unavailable = template_unusable = None
    if info.open_weight:
        # (imported here: tokenizers and jinja2 take ~35 ms to load, which OpenAI's checks never need)
        from finetune_ls.core.tokenizer_check import OpenedTokenizer, needs_template, open_tokenizer

        opened = OpenedTokenizer(None)
        training = _training(settings, context_limit)
        context_limit = training.max_seq_length
        if settings.count_tokens:
            opened = open_tokenizer(target.model, settings.tokenizer, settings.chat_template,
                                    needs_template(check_format, values))
        resolved, unavailable, template_unusable = opened.resolved, opened.unavailable, opened.template_unusable
        encoding = resolved.key if resolved else None
    else:
        encoding = catalog.encoding_for(target.model) if settings.count_tokens else None
    context = FileContext(check_format, encoding, context_limit, target.model,
                          keep_text=array_document, privacy=settings.privacy,
                          max_images=catalog.limits.max_images_per_example,
                          provider_name=info.name if info.open_weight else catalog.provider_name,
                          target=info.id, training=training, tokenizer=resolved)
    return Plan(fmt, target, context, unavailable, template_unusable)


def _training(settings: CheckSettings, model_context: int | None) -> TrainingSetup:
    return training_setup(settings.resolved_target, settings.max_seq_length, settings.train_on,
                          settings.roles_to_train, settings.train_on_eos, settings.packing, model_context)


def _unparsable(raw: bytes | str) -> bool:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return True
    return False


def format_sample(lines: Iterable[bytes | str]) -> list[bytes | str]:
    """The first non-blank lines, from which the file's format is decided."""
    sample = []
    for raw in lines:
        if raw.strip():
            sample.append(raw)
            if len(sample) >= FORMAT_SAMPLE_LINES:
                break
    return sample


def binary_report(path: str, offset: int, settings: CheckSettings) -> FileReport:
    message = (f"The file holds NUL bytes (the first at byte {offset}): it is a binary file or UTF-16 text, not UTF-8 "
               "JSON Lines. Export the data as UTF-8 JSONL.")
    return FileReport(path, UNKNOWN, [file_finding(R.BINARY_FILE.code, Severity.ERROR, message)],
                      {"format": UNKNOWN, "lines": 0, "examples": 0, "model": settings.model})


def _bom_finding() -> Finding:
    return Finding(R.BYTE_ORDER_MARK.code, R.BYTE_ORDER_MARK.severity,
                   "The file starts with a UTF-8 byte-order mark (BOM), which JSON does not allow; strict parsers "
                   "reject the first line. Save as UTF-8 without BOM.",
                   0, 0, 0, 1, 0, 1, None, "line", Fix("Remove the byte-order mark", (TextEdit(0, 0, 0, 1, ""),)))


def after_bom(finding: Finding) -> Finding:
    """Move a line-0 finding one column right, past a BOM the line was checked without."""
    if finding.line != 0 or finding.scope != "line":
        return finding
    end_shift = 1 if finding.end_line == 0 else 0
    fix = finding.fix
    if fix:
        fix = replace(fix, edits=tuple(replace(e, start_column=e.start_column + (e.start_line == 0),
                                               end_column=e.end_column + (e.end_line == 0)) for e in fix.edits))
    return replace(finding, column=finding.column + 1, column_utf16=finding.column_utf16 + 1,
                   end_column=finding.end_column + end_shift, end_column_utf16=finding.end_column_utf16 + end_shift,
                   fix=fix)


def _order(finding: Finding) -> tuple:
    """Line findings in reading order, then what concerns the whole file."""
    return (finding.scope == "file", finding.line, finding.column, finding.code)


def finish_report(path: str, plan: Plan, aggregator: FileAggregator, settings: CheckSettings, bom: bool,
                  size: int | None = None) -> FileReport:
    """The file-level findings and the summary, once every line has been added."""
    aggregator.close()
    stats = aggregator.stats
    catalog = settings.resolved_catalog()
    today = settings.resolved_today()
    checked = plan.context.format if stats.examples else plan.format
    target = plan.target
    vision_model = catalog.resolve(catalog.default_model("chat-vision"))
    if stats.examples_with_images and not target.explicit_model and vision_model \
            and vision_model.encoding == plan.context.encoding and checked == CHAT:
        target = replace(target, model=vision_model.id, info=vision_model)  # the model that takes images
    findings = aggregator.findings
    if bom:
        findings = [_bom_finding()] + [after_bom(f) for f in findings]
    findings += file_findings(stats, checked, target, catalog, today, settings.role,
                              explicit_method=settings.method is not None, size=size, epochs=settings.epochs,
                              training=plan.context.training)
    if plan.tokenizer_unavailable:
        findings.append(file_finding(R.TOKENIZER_UNAVAILABLE.code, R.TOKENIZER_UNAVAILABLE.severity,
                                     f"Tokens are not counted: {plan.tokenizer_unavailable.rstrip('.')}."))
    if plan.template_unusable:
        findings.append(file_finding(R.CHAT_TEMPLATE_UNUSABLE.code, R.CHAT_TEMPLATE_UNUSABLE.severity,
                                     f"No example can be rendered, so tokens are not counted: "
                                     f"{plan.template_unusable.rstrip('.')}."))
    findings.sort(key=_order)
    fmt = MIXED if stats.mixed_lines else checked
    summary = summarize(stats, fmt, target, catalog, today, settings.epochs, plan.context.encoding, settings.role,
                        settings.training_type, plan.context)
    summary["errors"] = sum(1 for f in findings if f.severity == Severity.ERROR)
    summary["warnings"] = sum(1 for f in findings if f.severity == Severity.WARNING)
    return FileReport(path, fmt, findings, summary, aggregator.examples_by_digest, bom)


# ------------------------------------------------------------------ text in memory
def check_text(text: str, settings: CheckSettings | None = None, path: str = "<text>") -> FileReport:
    """Check a document held as text (the language server's case). Lines follow LSP rules."""
    from finetune_ls.core.document import DocumentCheck

    check = DocumentCheck(path, settings or CheckSettings())
    check.open(split_lines(text))
    return check.report()


def check_bytes(data: bytes, settings: CheckSettings | None = None, path: str = "<bytes>",
                jobs: int | None = None, progress: Callable[[int, int], None] | None = None) -> FileReport:
    """Check a file's bytes held in memory (e.g. standard input)."""
    return _check_source(data, len(data), path, settings or CheckSettings(), jobs, progress, cache=None)


def check_path(path: str, settings: CheckSettings | None = None, jobs: int | None = None,
               progress: Callable[[int, int], None] | None = None, use_cache: bool = True) -> FileReport:
    """Check a file on disk, streaming it (memory stays a fraction of its size).
    Raises OSError when it cannot be read."""
    settings = settings or CheckSettings()
    before = file_stat(path)  # (the whole file's stored result is used only if nothing changes from here)
    size = regular_size(path)
    return _check_source(path, size, path, settings, jobs, progress, cache=use_cache, stat_before=before)


def _head(source: bytes | str, size: int) -> bytes:
    """The start of the file: enough for the format sample, at most FORMAT_SAMPLE_BYTES."""
    if isinstance(source, bytes):
        return source[:FORMAT_SAMPLE_BYTES]
    head = bytearray()
    with open_regular(source) as handle:
        while len(head) < min(size, FORMAT_SAMPLE_BYTES) and head.count(b"\n") <= FORMAT_SAMPLE_LINES:
            block = handle.read(256 * 1024)
            if not block:
                break
            head += block
    return bytes(head[:FORMAT_SAMPLE_BYTES])


def plan_source(source: bytes | str, size: int, path: str, settings: CheckSettings) -> SourcePlan | FileReport:
    """How to check a file (its bytes, or its path), from its start; or the whole report of
    a binary file."""
    head = _head(source, size)
    nul = head.find(b"\x00", 0, BINARY_PROBE_BYTES)
    if nul >= 0:
        return binary_report(path, nul, settings)
    bom = head.startswith(BOM_BYTES)
    start = len(BOM_BYTES) if bom else 0
    sample_lines = split_lines_bytes(head[start:])
    if len(head) < size:
        sample_lines.pop()  # probably cut in the middle
    return SourcePlan(plan_check(format_sample(sample_lines), settings), start, bom)


class SourcePlan(NamedTuple):
    plan: Plan
    start: int  # where the lines start: after a byte-order mark
    bom: bool


def _check_source(source: bytes | str, size: int, path: str, settings: CheckSettings, jobs: int | None,
                  progress: Callable[[int, int], None] | None, cache: bool | None,
                  stat_before: FileStat | None = None) -> FileReport:
    planned = plan_source(source, size, path, settings)
    if isinstance(planned, FileReport):
        return planned
    plan, start, bom = planned
    line_cache = LineCache(path, plan.context.fingerprint()) if cache and isinstance(source, str) else None
    aggregator = FileAggregator(plan.context)
    whole, stored = stored_file(line_cache, source, stat_before) if line_cache is not None else (None, None)
    if stored is not None:  # the file is byte for byte the one checked last time
        for chunk in stored:
            aggregator.append_chunk(chunk)
        if progress:
            progress(size, size)
        return finish_report(path, plan, aggregator, settings, bom, size)
    records = []
    for chunk in analyze_source(source, start, size, plan.context, line_cache, jobs or default_jobs(), progress):
        aggregator.append_chunk(chunk)
        if whole is not None:
            records.append(chunk_record(chunk))
    if whole is not None:
        store_chunks(line_cache, whole, records, source)
    return finish_report(path, plan, aggregator, settings, bom, size)


def stored_file(line_cache: LineCache, path: str, stat_before: FileStat | None) \
        -> tuple[tuple[bytes, FileStat] | None, list | None]:
    """(the file's cache.file_key, the chunks the last complete check of these bytes left, or
    None). Both None when the file changed since `stat_before` (taken before it was sized and
    planned): its hash would not be of what is checked, so nothing is served or stored."""
    whole = file_key(path)
    if whole is None or whole[1] != stat_before:
        return None, None
    records = line_cache.load_file(whole[0])
    if records is None:
        return whole, None
    try:
        return whole, [chunk_from_record(record) for record in records]
    except (ValueError, TypeError):  # damaged: check the file again
        return whole, None


def store_chunks(line_cache: LineCache, whole: tuple[bytes, FileStat], records: list, path: str) -> None:
    """Keep the chunk records of a complete check for the next one, unless the file changed
    while it was checked: then they may be of other bytes than those hashed."""
    if file_stat(path) == whole[1]:
        line_cache.write_file(whole[0], records)
    else:
        line_cache.forget_file()


# ------------------------------------------------------------------ validation file
def mark_overlap(training: FileReport, validation: FileReport) -> int:
    """Flag examples present in both files, in both reports. Returns how many."""
    shared = training.examples_by_digest.keys() & validation.examples_by_digest.keys()
    for digest in shared:
        train_line = training.examples_by_digest[digest]
        valid_line = validation.examples_by_digest[digest]
        for report, here, there, other in ((training, train_line, valid_line, validation.path),
                                           (validation, valid_line, train_line, training.path)):
            shift = 1 if report.bom and here.line == 0 else 0
            report.findings.append(Finding(
                R.VALIDATION_OVERLAP.code, R.VALIDATION_OVERLAP.severity,
                f"This example is also in {os.path.basename(other)} (line {there.line + 1}); the same data should not "
                "be in both the training and the validation file. Remove it from one of them.",
                here.line, shift, here.line, here.width + shift, shift, here.width_utf16 + shift, None, "line", None,
                (Related(there.line, f"same example in {other}"),)))
    for report in (training, validation):
        report.findings.sort(key=_order)
        report.summary["warnings"] = report.count(Severity.WARNING)
        report.summary["validation_overlap"] = len(shared)
    return len(shared)


__all__ = ["CheckSettings", "FileReport", "LineResult", "check_bytes", "check_path", "check_text", "mark_overlap",
           "TRAINING", "VALIDATION"]
