"""Reading an inbound RFC 822 message with the standard library's `email` package."""

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import parseaddr

from django.conf import settings
from django.utils.html import strip_tags

MAX_BODY = 20_000


@dataclass
class InboundEmail:
    from_name: str
    from_address: str
    subject: str
    text: str
    message_id: str


def parse_email(raw: bytes | str) -> InboundEmail:
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    message = message_from_bytes(data, policy=policy.default)
    name, address = parseaddr(str(message.get("From", "")))
    return InboundEmail(
        from_name=name.strip(),
        from_address=address.strip().lower(),
        subject=" ".join(str(message.get("Subject", "")).split()),
        text=_text_of(message)[:MAX_BODY],
        message_id=str(message.get("Message-ID", "")).strip(),
    )


def _text_of(message) -> str:
    """The text/plain part (the text of the HTML part when there is none)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):  # an unknown or lying charset
        content = part.get_payload(decode=True).decode("utf-8", "replace")
    if part.get_content_subtype() == "html":
        content = strip_tags(content)
    return content.strip()


def ticket_number_in(subject: str) -> str | None:
    """The ticket number a reply names in brackets: "Re: [SV-2026-000123] …"."""
    prefix = re.escape(settings.FLOWDESK_TICKET_PREFIX)
    match = re.search(rf"\[\s*({prefix}-\d{{4}}-\d{{6,}})\s*\]", subject, re.IGNORECASE)
    return match.group(1).upper() if match else None
