"""The IMAP poller: unread messages of one mailbox become tickets or comments.

IMAP_URL = imaps://user:password@imap.example.cn:993/INBOX (imap:// without TLS). Every
message goes through intake.actions.do_ingest_email, the same path as `ingest_email` and
the HTTP endpoint, so threading and duplicates behave alike. A message is flagged \\Seen
once handled (a message that cannot become a ticket is logged and flagged too, so it does
not come back every minute); one that failed for a passing reason (the database) stays
unread and is read again next time, which the Message-ID check makes harmless."""

import imaplib
import logging
from urllib.parse import unquote, urlparse

from django.conf import settings

from intake.actions import do_ingest_email
from tickets import actions as ticket_actions

log = logging.getLogger("flowdesk.intake")
TIMEOUT_S = 30


def _connect(url: str) -> tuple[imaplib.IMAP4, str]:
    parsed = urlparse(url)
    if parsed.scheme not in {"imap", "imaps"} or not parsed.hostname:
        raise ValueError("IMAP_URL must look like imaps://user:password@host:993/INBOX")
    secure = parsed.scheme == "imaps"
    port = parsed.port or (993 if secure else 143)
    if secure:
        conn = imaplib.IMAP4_SSL(parsed.hostname, port, timeout=TIMEOUT_S)
    else:
        conn = imaplib.IMAP4(parsed.hostname, port, timeout=TIMEOUT_S)
    conn.login(unquote(parsed.username or ""), unquote(parsed.password or ""))
    return conn, unquote(parsed.path.strip("/")) or "INBOX"


def poll_imap(url: str | None = None, limit: int = 50) -> int:
    """Ingest up to `limit` unread messages; returns how many were handled."""
    url = url if url is not None else getattr(settings, "IMAP_URL", "")
    if not url:
        return 0
    conn, mailbox = _connect(url)
    handled = 0
    try:
        conn.select(mailbox)
        _, found = conn.uid("SEARCH", None, "UNSEEN")
        for uid in (found[0] or b"").split()[:limit]:
            _, parts = conn.uid("FETCH", uid, "(RFC822)")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if raw is None:
                continue
            try:
                outcome = do_ingest_email(raw)
                log.info("imap %s: %s", uid.decode(), outcome.action)
            except ticket_actions.ActionError as exc:  # not a ticket, never will be
                log.warning("imap %s: not ingested: %s", uid.decode(), exc)
            conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            handled += 1
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return handled
