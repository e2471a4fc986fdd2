"""Bundles as files: an upload (.bpmn + .dmn + form JSON files, or one .zip of them) read
with limits, and a version or draft written as a .zip for download."""

import io
import zipfile
from pathlib import PurePosixPath

from django.conf import settings

MAX_FILES = 50
MAX_RATIO = 100  # uncompressed / compressed size: more than this is a zip bomb
SUFFIXES = (".bpmn", ".dmn", ".json")


class UploadRefused(ValueError):
    """The upload is not a bundle; nothing was stored."""


def _limit() -> int:
    return settings.FLOWDESK_MAX_UPLOAD_BYTES


def _decode(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRefused(f"{name}: not UTF-8 text") from None
    if "\x00" in text:
        raise UploadRefused(f"{name}: contains NUL bytes")
    return text


def _add(found: dict[str, str], name: str, data: bytes) -> None:
    base = PurePosixPath(name.replace("\\", "/")).name
    if not base.endswith(SUFFIXES):
        raise UploadRefused(f"{base}: a bundle holds .bpmn, .dmn and .json files only")
    if base in found:
        raise UploadRefused(f"{base}: two files have this name")
    if len(found) >= MAX_FILES:
        raise UploadRefused(f"more than {MAX_FILES} files in one bundle")
    found[base] = _decode(base, data)


def _skipped(info: zipfile.ZipInfo) -> bool:
    parts = PurePosixPath(info.filename).parts
    return info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _read_zip(name: str, data: bytes, found: dict[str, str]) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not _skipped(info)]
    except (zipfile.BadZipFile, ValueError):
        raise UploadRefused(f"{name}: not a readable .zip file") from None
    if len(members) > MAX_FILES:
        raise UploadRefused(f"{name}: {len(members)} files; a bundle has at most {MAX_FILES}")
    declared = sum(info.file_size for info in members)
    if declared > _limit():
        raise UploadRefused(f"{name}: unpacks to {declared} bytes, over the {_limit()}-byte limit")
    for info in members:
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1 << 20:
            raise UploadRefused(
                f"{name}: {info.filename} is compressed suspiciously well (zip bomb?)"
            )
        if info.filename.lower().endswith(".zip"):
            raise UploadRefused(f"{name}: {info.filename}: archives inside archives are refused")
        try:
            with archive.open(info) as member:
                body = member.read(_limit() + 1)  # sizes in the header may lie
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError):
            raise UploadRefused(f"{name}: {info.filename} cannot be unpacked") from None
        if len(body) > _limit():
            raise UploadRefused(f"{name}: {info.filename} is over the {_limit()}-byte limit")
        _add(found, info.filename, body)


def read_upload(uploads) -> tuple[str, str, dict[str, str]]:
    """(bpmn filename, bpmn text, other files) of uploaded files; UploadRefused otherwise."""
    found: dict[str, str] = {}
    total = 0
    for upload in uploads:
        total += upload.size or 0
        if total > _limit():
            raise UploadRefused(f"the upload is over the {_limit()}-byte limit")
        data = upload.read(_limit() + 1)
        if upload.name.lower().endswith(".zip"):
            _read_zip(upload.name, data, found)
        else:
            _add(found, upload.name, data)
    bpmn = [name for name in found if name.endswith(".bpmn")]
    if len(bpmn) != 1:
        raise UploadRefused(
            "no .bpmn file in the upload" if not bpmn else f"{len(bpmn)} .bpmn files; send one"
        )
    bpmn_text = found.pop(bpmn[0])
    return bpmn[0], bpmn_text, found


def bundle_zip(bpmn_filename: str, bpmn_xml: str, files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(bpmn_filename, bpmn_xml)
        for name, text in sorted(files.items()):
            archive.writestr(name, text)
    return buffer.getvalue()
