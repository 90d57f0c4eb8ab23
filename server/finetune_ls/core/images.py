"""What can be known about an image part without downloading anything.

For `data:` URLs the bytes are right there: their real format, size, pixel
mode and dimensions (Pillow reads only the header). For http(s) URLs only the
URL itself can be checked.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOWED_MIME = ("image/jpeg", "image/png", "image/webp")
ALLOWED_PILLOW_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "MPO": "image/jpeg"}
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGES_PER_EXAMPLE = 10
LOW_DETAIL_TOKENS = 85  # stated for vision fine-tuning: detail "low" is 512x512 and 85 tokens
UNKNOWN_SIZE_TOKENS = 85 + 170 * 4  # a 1024x1024 image at high detail, when the size is unknown
_HEADER_CHARS = 512 * 1024  # base64 characters decoded to read an image header
_OTHER_IMAGE_EXTENSIONS = {"gif", "bmp", "tif", "tiff", "svg", "heic", "heif", "avif", "ico", "psd", "raw"}
_DATA_URL = re.compile(r"data:([^;,]*)((?:;[^;,]*)*),", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ImageFacts:
    problem: str | None = None  # "url", "format", "format-guess" (from a URL) or "size", with `detail_message`
    detail_message: str = ""
    size_bytes: int | None = None
    width: int | None = None
    height: int | None = None


def _decoded_length(payload: str) -> int:
    payload = payload.strip()
    padding = len(payload) - len(payload.rstrip("="))
    return max(0, len(payload) * 3 // 4 - padding)


def inspect_url(url: str) -> ImageFacts:
    lowered = url[:16].lower()
    if lowered.startswith(("https://", "http://")):
        extension = urlsplit(url).path.rsplit(".", 1)[-1].lower() if "." in urlsplit(url).path else ""
        if extension in _OTHER_IMAGE_EXTENSIONS:
            return ImageFacts("format-guess", f"the URL names a .{extension} file; OpenAI accepts JPEG, PNG and WEBP "
                                              "(the server decides by the bytes it downloads)")
        return ImageFacts()
    if not lowered.startswith("data:"):
        scheme = url.split(":", 1)[0] if ":" in url[:12] else url[:20]
        return ImageFacts("url", f"'{scheme}' is not an image URL OpenAI can read: use https:// or a base64 data URL")
    match = _DATA_URL.match(url)
    if not match or ";base64" not in match.group(2).lower():
        return ImageFacts("url", "a data URL for an image must be base64: data:image/png;base64,...")
    mime = match.group(1).lower()
    payload = url[match.end():]
    size = _decoded_length(payload)
    if mime not in ALLOWED_MIME:
        return ImageFacts("format", f"the data URL says {mime or 'no type'}; OpenAI accepts JPEG, PNG and WEBP", size)
    if size > MAX_IMAGE_BYTES:
        return ImageFacts("size", f"the image is {size / 1024 / 1024:.1f} MB; OpenAI's limit is 10 MB per image", size)
    return _inspect_bytes(payload, mime, size)


def _inspect_bytes(payload: str, mime: str, size: int) -> ImageFacts:
    head = payload[:_HEADER_CHARS]
    head = head[: len(head) - len(head) % 4]
    try:
        data = base64.b64decode(head, validate=False)
    except (binascii.Error, ValueError):
        return ImageFacts("format", "the data URL's base64 payload cannot be decoded", size)
    from PIL import Image, UnidentifiedImageError  # imported only when a data URL is met

    try:
        with Image.open(io.BytesIO(data)) as image:
            found, mode, (width, height) = image.format, image.mode, image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return ImageFacts("format", "the data URL does not hold a readable image", size)
    real_mime = ALLOWED_PILLOW_FORMATS.get(found or "")
    if real_mime is None:
        return ImageFacts("format", f"the bytes are a {found} image; OpenAI accepts JPEG, PNG and WEBP", size)
    if real_mime != mime:
        return ImageFacts("format", f"the data URL says {mime} but the bytes are {real_mime}", size)
    if mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        return ImageFacts("format", f"the image is in {mode} mode; OpenAI needs RGB or RGBA", size)
    return ImageFacts(None, "", size, width, height)


def image_tokens(detail: object, width: int | None, height: int | None) -> int:
    """Token estimate of one image (the tile formula of gpt-4o-class models)."""
    if detail == "low":
        return LOW_DETAIL_TOKENS
    if not width or not height:
        return UNKNOWN_SIZE_TOKENS
    scale = min(1.0, 2048 / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / min(width, height))
    width, height = width * scale, height * scale
    return 85 + 170 * math.ceil(width / 512) * math.ceil(height / 512)
