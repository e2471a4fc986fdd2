import socket
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy

import pytest


@pytest.fixture(autouse=True)
def _own_rate_counters(settings):
    """Rate-limit counters of this test only (Redis outlives test databases)."""
    settings.FLOWDESK_RATE_NAMESPACE = f"test-rate:{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    """Stored originals (.eml) of this test only."""
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Mailbox:
    """What an in-process SMTP server (aiosmtpd) received."""

    messages: list = field(default_factory=list)

    def parsed(self):
        return [message_from_bytes(raw, policy=policy.default) for raw in self.messages]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1, Django's SMTP backend pointed at it (EMAIL_URL)."""
    from aiosmtpd.controller import Controller

    from flowdesk.settings import email_settings

    box = Mailbox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            box.messages.append(envelope.original_content or envelope.content)
            return "250 OK"

    with socket.socket() as probe:  # a free port (aiosmtpd's self-check cannot use 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in email_settings(f"smtp://127.0.0.1:{port}").items():
        setattr(settings, name, value)
    settings.FLOWDESK_REPLY_ADDRESS = "support@flowdesk.example"
    settings.DEFAULT_FROM_EMAIL = "support@flowdesk.example"
    yield box
    controller.stop()


@pytest.fixture
def repair(repair):
    """The repair process deployed and its public form published (as the demo does)."""
    from intake.actions import do_publish_intake

    do_publish_intake(None, "repair")
    return repair
