"""The IMAP poller against a tiny in-process IMAP4 server (enough of RFC 3501 for imaplib:
LOGIN, SELECT, UID SEARCH/FETCH/STORE): unread mail becomes tickets and comments through
the same path as ingest_email, is flagged seen, and a second poll changes nothing."""

import socketserver
import threading
from pathlib import Path

import pytest

from intake.imap import poll_imap
from tests.conftest import deploy_file
from tickets.models import Ticket, TicketMessage

from .test_mail_threading import mail

pytestmark = pytest.mark.django_db


class Mailbox(socketserver.StreamRequestHandler):
    messages: dict[int, bytes] = {}
    seen: set[int] = set()

    def say(self, text: str | bytes) -> None:
        self.wfile.write(text if isinstance(text, bytes) else text.encode() + b"\r\n")

    def handle(self) -> None:
        self.say("* OK tiny IMAP4rev1 ready")
        for line in self.rfile:
            tag, command, *args = line.decode().strip().split(" ")
            command = (
                " ".join([command.upper(), *args[:1]]).upper()
                if command.upper() == "UID"
                else command.upper()
            )
            if command == "CAPABILITY":
                self.say("* CAPABILITY IMAP4rev1")
            elif command == "SELECT":
                self.say(f"* {len(self.messages)} EXISTS")
            elif command == "UID SEARCH":
                unseen = [str(u) for u in self.messages if u not in self.seen]
                self.say("* SEARCH " + " ".join(unseen))
            elif command == "UID FETCH":
                uid = int(args[1])
                raw = self.messages[uid]
                self.say(
                    f"* {uid} FETCH (UID {uid} RFC822 {{{len(raw)}}}".encode()
                    + b"\r\n"
                    + raw
                    + b")\r\n"
                )
            elif command == "UID STORE":
                self.seen.add(int(args[1]))
                self.say(f"* {args[1]} FETCH (FLAGS (\\Seen))")
            elif command == "LOGOUT":
                self.say("* BYE")
                self.say(f"{tag} OK done")
                return
            self.say(f"{tag} OK done")


@pytest.fixture
def imap_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Mailbox)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"imap://support:secret@127.0.0.1:{server.server_address[1]}/INBOX"
    server.shutdown()
    server.server_close()


def test_unread_mail_becomes_tickets_and_replies_once(imap_server, cast, repair, settings):
    deploy_file(Path(__file__).parent / "fixtures" / "inquiry.bpmn")
    settings.FLOWDESK_INTAKE_PROCESS = "inquiry"
    Mailbox.messages = {1: mail("洗衣机漏水", "洗衣机漏水了", message_id="<i1@example.cn>")}
    Mailbox.seen = set()
    assert poll_imap(imap_server) == 1
    ticket = Ticket.objects.get()
    assert ticket.channel == "email" and Mailbox.seen == {1}
    Mailbox.messages[2] = mail(f"Re: [{ticket.number}] 洗衣机漏水", "还在漏\n> 洗衣机漏水了",
                               message_id="<i2@example.cn>")  # fmt: skip
    Mailbox.messages[3] = Mailbox.messages[2]  # the same message twice in the box
    assert poll_imap(imap_server) == 2
    [comment] = ticket.events.filter(kind="message_posted", detail__source="email")
    body = TicketMessage.objects.get(id=comment.detail["message_id"]).body
    assert body == "还在漏" and Mailbox.seen == {1, 2, 3}
    assert poll_imap(imap_server) == 0 and Ticket.objects.count() == 1
    assert poll_imap("") == 0  # no IMAP_URL: nothing to poll
