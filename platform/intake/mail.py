"""Reading an inbound RFC 822 message with the standard library's `email` package: who sent
it, what it answers (In-Reply-To, References, the ticket number in a plus address or the
subject) and the new text without the quoted history and signature."""

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.utils import getaddresses, parseaddr

from django.conf import settings
from django.utils.html import strip_tags

MAX_BODY = 20_000
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass
class InboundEmail:
    from_name: str
    from_address: str
    subject: str
    text: str  # the new part, as shown on the ticket
    message_id: str
    full_text: str = ""  # the whole text part, quotes and signature included
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To

    @property
    def answers(self) -> list[str]:
        """Message-IDs this message replies to, the nearest first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


def _ids(value) -> list[str]:
    return _MSGID.findall(str(value or ""))


def parse_email(raw: bytes | str) -> InboundEmail:
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    message = message_from_bytes(data, policy=policy.default)
    name, address = parseaddr(str(message.get("From", "")))
    full = _text_of(message)[:MAX_BODY]
    headers = [str(v) for key in ("To", "Cc", "Delivered-To") for v in message.get_all(key, [])]
    message_id = _ids(message.get("Message-ID"))
    return InboundEmail(
        from_name=name.strip(),
        from_address=address.strip().lower(),
        subject=" ".join(str(message.get("Subject", "")).split()),
        text=trim_reply(full) or full.strip(),
        full_text=full,
        message_id=message_id[0] if message_id else str(message.get("Message-ID", "")).strip(),
        in_reply_to=_ids(message.get("In-Reply-To")),
        references=_ids(message.get("References")),
        recipients=[a.lower() for _, a in getaddresses(headers) if a],
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


# Where the quoted history starts: "On Mon, 30 Nov 2026, Wang Fang <…> wrote:" (possibly
# wrapped over two lines), Outlook's and Chinese clients' header blocks, forwarded markers.
_HISTORY_STARTS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*在\s*.{0,200}写道\s*[:：]\s*$"),
    re.compile(r"^\s*-{2,}\s*(原始邮件|Original Message|回复的原邮件)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*(发件人|From)\s*[:：]\s*\S+"),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above its header block
]
_SIGNATURE = re.compile(r"^(-- ?|—— ?|发自我的\S*|Sent from my \S+.*)$")


def trim_reply(text: str) -> str:
    """The new text of a reply: everything before the quoted history and the signature."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.rstrip()
        two = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else stripped
        if stripped.startswith(">"):
            break
        if any(p.match(stripped) for p in _HISTORY_STARTS) or _HISTORY_STARTS[0].match(two):
            break
        if _SIGNATURE.match(stripped):
            break
        kept.append(stripped)
    return "\n".join(kept).strip()


def _number_pattern() -> str:
    return rf"{re.escape(settings.FLOWDESK_TICKET_PREFIX)}-\d{{4}}-\d{{6,}}"


def ticket_number_in(subject: str) -> str | None:
    """The ticket number a reply names: "Re: [SV-2026-000123] …" (brackets optional)."""
    match = re.search(rf"(?<![\w-])({_number_pattern()})(?![\w-])", subject, re.IGNORECASE)
    return match.group(1).upper() if match else None


def ticket_number_in_address(addresses: list[str]) -> str | None:
    """The number in a plus address: support+SV-2026-000123@example.cn."""
    for address in addresses:
        local = address.split("@", 1)[0]
        match = re.search(rf"\+({_number_pattern()})$", local, re.IGNORECASE)
        if match:
            return match.group(1).upper()
    return None
