"""The two BPE encodings OpenAI's fine-tunable models use, loaded from package data.

tiktoken downloads its rank files on first use; editors behind a firewall (and CI
machines) have no route there, so the files ship inside the package. They are
verified against the sha256 that tiktoken itself pins for them.
"""

from __future__ import annotations

import binascii
import hashlib
import itertools
import marshal
import os
import tempfile
import threading
import types
from importlib import resources

import tiktoken
import tiktoken_ext.openai_public as openai_public

BUNDLED_ENCODINGS = ("o200k_base", "cl100k_base")

_lock = threading.Lock()
_loaded: dict[str, tiktoken.Encoding] = {}


class EncodingUnavailable(RuntimeError):
    """The bundled rank file is missing or does not match tiktoken's pinned hash."""


def _bundled_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    """Stand-in for tiktoken's `load_tiktoken_bpe` that reads the bundled copy."""
    file_name = url.rsplit("/", 1)[-1]
    resource = resources.files("finetune_ls") / "data" / "encodings" / file_name
    try:
        contents = resource.read_bytes()
    except FileNotFoundError as exc:
        raise EncodingUnavailable(f"bundled encoding file {file_name} is missing") from exc
    if expected_hash is None or hashlib.sha256(contents).hexdigest() != expected_hash:
        raise EncodingUnavailable(
            f"bundled encoding file {file_name} does not match the sha256 tiktoken expects"
        )
    parsed = _parsed_copy(expected_hash, contents.count(b"\n"))
    if parsed is not None:
        return parsed
    # Lines of "<base64 token> <rank>". Decoding with map() over the split file is
    # twice as fast as tiktoken's line loop, and this runs before every check starts.
    fields = contents.split()
    tokens, ranks = fields[0::2], fields[1::2]
    if len(tokens) != len(ranks):
        raise EncodingUnavailable(f"bundled encoding file {file_name} is malformed")
    parsed = dict(zip(map(binascii.a2b_base64, tokens), map(int, ranks)))
    _keep_parsed_copy(expected_hash, parsed)
    return parsed


def _parsed_copy_path(digest: str):
    from finetune_ls.core.cache import cache_dir

    return cache_dir() / "encodings" / f"{digest[:32]}.ranks"


def _parsed_copy(digest: str, lines: int) -> dict[bytes, int] | None:
    """The ranks as the last process parsed them: marshal reads them in a third of the time
    of decoding the base64 file (~0.06 s of every start). Keyed by the verified file's sha256;
    marshal can fail on a damaged copy but cannot run code. None when there is none."""
    try:
        ranks = marshal.loads(_parsed_copy_path(digest).read_bytes())
    except (OSError, ValueError, EOFError, TypeError, RuntimeError):  # RuntimeError: no home folder
        return None
    if isinstance(ranks, dict) and len(ranks) == lines and all(
            isinstance(token, bytes) and isinstance(rank, int) for token, rank in itertools.islice(ranks.items(), 64)):
        return ranks
    return None


def _keep_parsed_copy(digest: str, ranks: dict[bytes, int]) -> None:
    temporary = None
    try:
        target = _parsed_copy_path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            marshal.dump(ranks, out)
        os.replace(temporary, target)
    except (OSError, ValueError, RuntimeError):  # a copy is only a help: the ranks are parsed anyway
        if temporary:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _construct(name: str) -> tiktoken.Encoding:
    constructor = openai_public.ENCODING_CONSTRUCTORS[name]
    # Run tiktoken's own constructor (its pattern, special tokens and pinned hash) with
    # the rank loader swapped for ours. A copy of the function with other globals
    # changes nothing in tiktoken's module, so other users of tiktoken are unaffected.
    offline = types.FunctionType(
        constructor.__code__,
        {**vars(openai_public), "load_tiktoken_bpe": _bundled_ranks},
        constructor.__name__,
    )
    encoding = _LeanEncoding(**offline())
    # tiktoken keeps the ranks as a Python dict only to pickle the encoding; its Rust core
    # has its own copy. The dict is 28 MB for o200k, in the server and in every worker.
    encoding._mergeable_ranks = None
    return encoding


class _LeanEncoding(tiktoken.Encoding):
    """An encoding without tiktoken's Python copy of its ranks, pickled by name."""

    def __reduce__(self):
        return get_encoding, (self.name,)


def get_encoding(name: str) -> tiktoken.Encoding:
    """Return a bundled encoding by name (`o200k_base` or `cl100k_base`), loading it once."""
    if name not in BUNDLED_ENCODINGS:
        raise EncodingUnavailable(f"no bundled encoding named {name!r}")
    encoding = _loaded.get(name)
    if encoding is None:
        with _lock:
            encoding = _loaded.get(name)
            if encoding is None:
                encoding = _construct(name)
                _loaded[name] = encoding
    return encoding
