"""The conversation of a ticket: public replies and internal notes, their attachments and
@mentions. `post_message` is the one writer (called inside a ticket action's transaction);
the `do_*` entry points live in tickets.operations.

Attachments are checked before anything is written: the size against
FLOWDESK_ATTACHMENT_MAX_BYTES and the type twice, by the file name's extension and by the
first bytes of the content, which must agree (a `.pdf` that is really an executable is
refused). Files go through Django's storage API; nothing serves them but
tickets.views.attachment / intake.views.portal_attachment, which check the reader."""

import base64
import os
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tickets.engine import record_event
from tickets.errors import ActionError
from tickets.models import MessageAttachment, Ticket, TicketMessage

BODY_MAX = 20000
MAX_FILES = 10
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_][A-Za-z0-9_.+-]{0,149})")

# extension -> (content type, kind sniffed from the first bytes)
ALLOWED_TYPES = {
    ".png": ("image/png", "png"),
    ".jpg": ("image/jpeg", "jpeg"),
    ".jpeg": ("image/jpeg", "jpeg"),
    ".gif": ("image/gif", "gif"),
    ".webp": ("image/webp", "webp"),
    ".pdf": ("application/pdf", "pdf"),
    ".txt": ("text/plain", "text"),
    ".csv": ("text/csv", "text"),
    ".log": ("text/plain", "text"),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "zip",
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "zip"),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "zip",
    ),
    ".doc": ("application/msword", "ole"),
    ".xls": ("application/vnd.ms-excel", "ole"),
    ".ppt": ("application/vnd.ms-powerpoint", "ole"),
    ".odt": ("application/vnd.oasis.opendocument.text", "zip"),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", "zip"),
}


class AttachmentRefused(ActionError):
    status = 400


class AttachmentTooLarge(AttachmentRefused):
    status = 413


@dataclass
class Upload:
    """A file as received (from a multipart form or the API)."""

    name: str
    content: bytes


def max_bytes() -> int:
    return int(getattr(settings, "FLOWDESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def sniff(head: bytes) -> str | None:
    """The kind of file its first bytes say it is (None: nothing we accept)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a character cut at the end of the sample is fine
                return None
        return "text"
    return None


def safe_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = re.sub(r"[\x00-\x1f<>:\"/\\|?*]", "_", base)
    return base[:200] or "file"


def check_upload(upload: Upload) -> tuple[str, str]:
    """(safe file name, content type) of an acceptable upload; AttachmentRefused else."""
    name = safe_name(upload.name)
    if len(upload.content) > max_bytes():
        raise AttachmentTooLarge(
            f"{name} is {len(upload.content)} bytes; attachments may be at most {max_bytes()}"
        )
    if not upload.content:
        raise AttachmentRefused(f"{name} is empty")
    extension = os.path.splitext(name)[1].lower()
    if extension not in ALLOWED_TYPES:
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise AttachmentRefused(f"{name}: files of this type are not accepted (allowed: {allowed})")
    content_type, kind = ALLOWED_TYPES[extension]
    if sniff(upload.content[:2048]) != kind:
        raise AttachmentRefused(f"{name}: the content is not a {extension[1:]} file")
    return name, content_type


def mentioned_users(body: str) -> list[User]:
    """The active staff users named as @username in the text (unknown names are text)."""
    names = {m.group(1).rstrip(".") for m in MENTION.finditer(body)}
    if not names:
        return []
    return list(User.objects.filter(username__in=names, is_active=True).order_by("username"))


def check_message(body: str, uploads) -> None:
    """Refuse a message before anything is written (no locks, no files)."""
    if not body.strip() and not uploads:
        raise ActionError("a message needs text or an attachment")
    if len(body) > BODY_MAX:
        raise ActionError(f"a message may be at most {BODY_MAX} characters")
    if len(uploads) > MAX_FILES:
        raise AttachmentRefused(f"at most {MAX_FILES} attachments per message")
    for upload in uploads:
        check_upload(upload)


def post_message(
    ticket: Ticket,
    body: str,
    *,
    author=None,
    author_kind: str,
    author_name: str = "",
    visibility: str,
    source: str = "web",
    uploads=(),
    event_detail: dict | None = None,
) -> TicketMessage:
    """Write a message (the caller holds the ticket lock inside a transaction) and its
    `message_posted` event. Files saved before a later failure are removed again."""
    uploads = list(uploads)
    check_message(body, uploads)
    if visibility not in TicketMessage.Visibility.values:
        raise ActionError(f"unknown visibility {visibility!r}")
    message = TicketMessage.objects.create(
        ticket=ticket,
        author=author if getattr(author, "is_authenticated", False) else None,
        author_kind=author_kind,
        author_name=author_name[:200],
        visibility=visibility,
        body=body,
        source=source[:16],
    )
    mentions = mentioned_users(body) if author_kind == TicketMessage.AuthorKind.STAFF else []
    if mentions:
        message.mentions.set(mentions)
    saved = []
    try:
        for upload in uploads:
            name, content_type = check_upload(upload)
            attachment = MessageAttachment(
                message=message, name=name, size=len(upload.content), content_type=content_type
            )
            attachment.file.save(name, ContentFile(upload.content), save=False)
            saved.append(attachment.file.name)
            attachment.save()
    except BaseException:
        for path in saved:
            default_storage.delete(path)
        raise
    record_event(
        ticket,
        "message_posted",
        actor=message.author,
        message_id=message.id,
        visibility=visibility,
        author_kind=author_kind,
        mentions=[u.username for u in mentions],
        attachments=len(saved),
        source=message.source,
        **(event_detail or {}),
    )
    return message


def thread(ticket: Ticket, *, public_only: bool, after_id: int = 0, limit: int | None = None):
    """The ticket's messages in the order written, with authors, mentions and attachments
    (internal notes left out for a customer)."""
    messages = (
        TicketMessage.objects.filter(ticket=ticket, id__gt=after_id)
        .select_related("author")
        .prefetch_related("attachments", "mentions")
        .order_by("id")
    )
    if public_only:
        messages = messages.filter(visibility=TicketMessage.Visibility.PUBLIC)
    return list(messages[:limit] if limit else messages)


class BadMessageCursor(ValueError):
    pass


def _encode(message_id: int) -> str:
    return base64.urlsafe_b64encode(f"m{message_id}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("m"):
            raise ValueError(cursor)
        return int(text[1:])
    except ValueError as exc:
        raise BadMessageCursor("invalid cursor") from exc


def thread_page(ticket: Ticket, cursor: str = "", limit: int = 50, *, public_only: bool):
    """(messages after the cursor, the next cursor or None)."""
    after = _decode(cursor) if cursor else 0
    rows = thread(ticket, public_only=public_only, after_id=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_encode(rows[-1].id) if more else None)


def file_response(attachment: MessageAttachment):
    """The attachment as a download (never rendered inline: no content sniffing, no HTML)."""
    from django.http import FileResponse

    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def uploads_from(files) -> list[Upload]:
    """Uploads of a multipart form's files (a list of UploadedFile); a file above the
    limit is refused before it is read."""
    uploads = []
    if len(files) > MAX_FILES:
        raise AttachmentRefused(f"at most {MAX_FILES} attachments per message")
    for uploaded in files:
        name = safe_name(uploaded.name)
        if uploaded.size > max_bytes():
            raise AttachmentTooLarge(
                f"{name} is {uploaded.size} bytes; attachments may be at most {max_bytes()}"
            )
        uploads.append(Upload(name, uploaded.read()))
    return uploads
