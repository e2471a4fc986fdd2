"""File attachments: what a form stores is metadata; the bytes travel beside it to the caller.

``parse_post`` turns each uploaded file into an ``Upload``: a dict of the metadata stored in
ticket data (``name``, ``size``, ``content_type``, ``sha256``) that also carries ``content``
(the bytes) for the caller to store; ``validate_submission`` hands them over in
``ValidationResult.uploads``. The browser's declared content type is not trusted for types
we can recognise from their first bytes.
"""

import hashlib
from typing import Any

METADATA_KEYS = ("name", "size", "content_type", "sha256")
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_SNIFFABLE = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "image/heic"}
)
_CHUNK = 64 * 1024


class Upload(dict):
    """File metadata (a plain dict to everything else) still carrying the uploaded bytes.

    ``content`` is None when the file was too large to read (validation then rejects it)."""

    def __init__(self, name: str, size: int, content_type: str, sha256: str, content=None):
        super().__init__(name=name, size=size, content_type=content_type, sha256=sha256)
        self.content: bytes | None = content

    def metadata(self) -> dict:
        return dict(self)


def upload_from_file(uploaded: Any, max_bytes: int) -> Upload:
    """A Django ``UploadedFile`` -> ``Upload``; files over ``max_bytes`` are not read."""
    name = str(getattr(uploaded, "name", "") or "upload").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    declared = (getattr(uploaded, "content_type", "") or "").split(";")[0].strip().lower()
    size = int(getattr(uploaded, "size", 0) or 0)
    if size > max_bytes:
        return Upload(name, size, declared or "application/octet-stream", "", None)
    digest, parts = hashlib.sha256(), []
    for chunk in uploaded.chunks(_CHUNK):
        digest.update(chunk)
        parts.append(chunk)
    content = b"".join(parts)
    return Upload(name, len(content), trusted_type(content, declared), digest.hexdigest(), content)


def sniff(content: bytes) -> str | None:
    """The type the first bytes prove, for the few types a form usually accepts."""
    for signature, mime in _SIGNATURES:
        if content.startswith(signature):
            return mime
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return None


def trusted_type(content: bytes, declared: str) -> str:
    """The sniffed type if any; else the declared one unless it claims a sniffable type
    the bytes do not match (an HTML page renamed to photo.png becomes octet-stream)."""
    sniffed = sniff(content)
    if sniffed:
        return sniffed
    if not declared or declared in _SNIFFABLE:
        return "application/octet-stream"
    return declared


def accepts(accept: tuple[str, ...], content_type: str) -> bool:
    """``accept`` entries are MIME types or ``type/*``; an empty list accepts everything."""
    if not accept:
        return True
    major = content_type.split("/")[0]
    return any(a == content_type or a == f"{major}/*" or a == "*/*" for a in accept)
