"""multipart/form-data parsing with the standard library's email parser.

The `cgi` module is gone from Python 3.13; `email.parser` handles the MIME
framing (boundaries, quoted and RFC 2231 file names) and, in the HTTP policy,
gives the part bodies back byte for byte, which uploads need.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass

from .errors import ApiError


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a form body into its text fields and its file fields."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise ApiError(400, "Expected a multipart/form-data body with a boundary.")
    envelope = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(envelope)
    if not message.is_multipart():
        raise ApiError(400, "Could not parse the multipart/form-data body.")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8", errors="replace")
        else:
            files[name] = UploadedFile(filename, part.get_content_type(), data)
    return fields, files
