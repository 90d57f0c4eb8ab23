"""A model's tokenizer files from the Hugging Face cache or the Hub, through huggingface_hub only.

huggingface_hub is the optional extra `finetune-ls[hf]`: `hub()` is None without it and both
sources are skipped. The cache is read with huggingface_hub's own lookup (`HF_HOME`,
`HF_HUB_CACHE`, refs/main → snapshot), so it sees what transformers and `hf download` put there.
The download fetches just tokenizer.json, tokenizer_config.json and a chat_template.jinja into that
same cache (never the weights), with the user's own token as huggingface_hub finds it (HF_TOKEN, `hf auth login`):
finetune-ls never reads, stores or prints it. This is the one network call of core/.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "tokenizer_config.json"
# The model's chat template as a file of its own, which transformers prefers to the config's
# `chat_template` (tokenization_utils_base.py, `from_pretrained`: "If independent chat template
# file(s) exist, they take priority over template entries in the tokenizer config"); many current
# repositories ship only this file. chat_template.json is the older processors' file
# (transformers/utils/hub.py LEGACY_PROCESSOR_CHAT_TEMPLATE_FILE): read when there is nothing else.
TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")
# The probe's timeout: a Hub that does not answer within it counts as unreachable.
PROBE_TIMEOUT = 10.0
# A Hub found unreachable is not asked again for this long (the language server re-checks on
# every edit; each would otherwise wait for the network).
UNREACHABLE_RETRY_SECONDS = 300.0


@dataclass(frozen=True)
class HubFiles:
    tokenizer_file: str
    config_file: str | None
    where: str  # the cache snapshot folder, or "downloaded from <endpoint>/<repo>"
    template_file: str | None = None  # the model's chat_template.jinja (or .json), when it has one


class HubRefused(Exception):
    """The Hub answered but will not give the files (gated, private, no such model or file): one sentence."""


class HubUnreachable(Exception):
    """The Hub could not be reached (network, proxy, an endpoint that is no Hub): one sentence."""


def hub() -> ModuleType | None:
    """huggingface_hub, or None when the extra is not installed."""
    # huggingface_hub 2.4 fetches {endpoint}/api/agent-harnesses for its user agent (telemetry) before
    # the first request; finetune-ls asks the Hub for the two files only. It reads this variable once,
    # at import; a user who set it either way keeps their choice.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    try:
        import huggingface_hub
    except ImportError:
        return None
    return huggingface_hub


def offline() -> bool:
    """HF_HUB_OFFLINE as huggingface_hub reads it (its own constant)."""
    from huggingface_hub import constants

    return constants.is_offline_mode()


def cache_folder() -> str:
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


def endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def from_cache(model: str) -> tuple[HubFiles | None, bool]:
    """The files of revision main in the Hugging Face cache, and whether that is the whole answer:
    False when tokenizer.json is there but nobody knows yet whether tokenizer_config.json exists
    (a download can complete it)."""
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.errors import HFValidationError

    try:
        tokenizer = try_to_load_from_cache(model, TOKENIZER_FILE)
        config = try_to_load_from_cache(model, CONFIG_FILE)
        templates = [try_to_load_from_cache(model, name) for name in TEMPLATE_FILES]
    except (HFValidationError, OSError):  # not a Hugging Face id at all, or a cache that cannot be listed
        return None, True
    if not isinstance(tokenizer, str):
        return None, True
    snapshot = str(Path(tokenizer).parent)
    # A str is the file; None means not cached; anything else is huggingface_hub's "known not to exist".
    template = next((found for found in templates if isinstance(found, str)), None)
    # Whole when the config is known and the template file is found or known not to exist (a cache
    # filled by an older finetune-ls, which fetched no template file, is completed by a download).
    known = config is not None and (template is not None or templates[0] is not None)
    return HubFiles(tokenizer, config if isinstance(config, str) else None, snapshot, template), known


_unreachable: dict[str, tuple[float, str]] = {}


def download(model: str) -> HubFiles:
    """tokenizer.json, tokenizer_config.json and the chat template file if any, of revision main, into
    the Hugging Face cache.
    Raises HubRefused or HubUnreachable (one sentence each, never the token)."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import disable_progress_bars

    hub_url = endpoint()
    failed = _unreachable.get(hub_url)
    if failed and time.monotonic() - failed[0] < UNREACHABLE_RETRY_SECONDS:
        raise HubUnreachable(failed[1])
    try:
        # One HEAD without retries first: hf_hub_download retries a dead network with back-off
        # for about 25 s per file, far too long for a check that then falls back to what it has.
        get_hf_file_metadata(hf_hub_url(model, TOKENIZER_FILE), timeout=PROBE_TIMEOUT)
        with disable_progress_bars("huggingface_hub.http_get"):
            tokenizer = hf_hub_download(model, TOKENIZER_FILE)
            config = _optional_download(model, CONFIG_FILE)  # None: a tokenizer without a config
            # Optional: most models keep the template in the config. The older chat_template.json is
            # asked for only when neither the .jinja nor the config has one.
            template = _optional_download(model, TEMPLATE_FILES[0])
            if template is None and not _config_has_template(config):
                template = _optional_download(model, TEMPLATE_FILES[1])
    except HFValidationError:
        raise HubRefused(f"{model} is not a Hugging Face model id") from None
    except Exception as error:  # huggingface_hub's errors, httpx's, OSError: sorted by what they mean
        refused, sentence = _explain(error, model, hub_url)
        if refused:
            raise HubRefused(sentence) from None
        _unreachable[hub_url] = (time.monotonic(), sentence)
        raise HubUnreachable(sentence) from None
    return HubFiles(tokenizer, config, f"downloaded from {hub_url}/{model}", template)


def _config_has_template(config: str | None) -> bool:
    try:
        return bool(config) and "chat_template" in json.loads(Path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):  # a damaged config: the load names it
        return False


def _optional_download(model: str, filename: str) -> str | None:
    """A file the model may not have: its path, or None when the Hub answers it has none (a 404 is
    no error; huggingface_hub remembers it in the cache, so the cache alone answers next time)."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import RemoteEntryNotFoundError

    try:
        return hf_hub_download(model, filename)
    except RemoteEntryNotFoundError:
        return None


def _explain(error: BaseException, model: str, hub_url: str) -> tuple[bool, str]:
    """(refused, one sentence) for a failed download. Only our own words: huggingface_hub's
    messages hold URLs and advice in several lines, and none of it is needed here."""
    from huggingface_hub.errors import (
        FileMetadataError,
        GatedRepoError,
        HfHubHTTPError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    page = f"{hub_url}/{model}"
    login = "log in with `hf auth login` (or set HF_TOKEN)"
    for cause in _chain(error):
        if isinstance(cause, GatedRepoError) or (isinstance(cause, HfHubHTTPError) and cause.response is not None
                                                  and cause.response.status_code in (401, 403)
                                                  and not isinstance(cause, RepositoryNotFoundError)):
            return True, (f"{model} is gated or private on the Hugging Face Hub: accept the model's licence on its "
                          f"page ({page}) and {login}")
        if isinstance(cause, RepositoryNotFoundError):
            return True, (f"{hub_url} has no model {model} (if it is private or gated, accept its licence on {page} "
                          f"and {login})")
        if isinstance(cause, RemoteEntryNotFoundError):
            return True, f"{model} has no {TOKENIZER_FILE} on {hub_url}"
        if isinstance(cause, RevisionNotFoundError):
            return True, f"{model} has no revision main on {hub_url}"
        if isinstance(cause, FileMetadataError):
            return False, f"{hub_url} did not answer as a Hugging Face Hub does (check HF_ENDPOINT and any proxy)"
    return False, f"the Hugging Face Hub ({hub_url}) could not be reached"


def _chain(error: BaseException):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


__all__ = ["TEMPLATE_FILES", "HubFiles", "HubRefused", "HubUnreachable", "cache_folder", "download", "endpoint", "from_cache", "hub",
           "offline"]
