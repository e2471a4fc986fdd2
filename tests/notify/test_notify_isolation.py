"""One broken outbox row or digest never keeps the others from going out."""

import datetime as dt
import logging

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from notify.actions import do_notify, do_set_preferences
from notify.delivery import deliver_digests, deliver_pending
from notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


def comment_for(user, number):
    do_notify(
        "ticket.commented",
        ticket_id=number,
        users=[user],
        channels=["email"],
        context={"n": number},
        subject="Comment on SV-{{ n }}",
    )


def test_a_digest_that_cannot_be_folded_does_not_stop_the_others(cast, caplog):
    for who in ("alice", "bob"):
        do_set_preferences(cast[who], digest_interval_minutes=60)
        comment_for(cast[who], 1 if who == "alice" else 2)
    first = OutboxMessage.objects.get(recipient=cast["alice"])
    # a leftover digest row holding the key alice's digest would take
    OutboxMessage.objects.create(
        channel="email",
        event_type="digest",
        idempotency_key=f"digest:{first.digest_key}:{first.pk}",
        state="sent",
    )
    later = timezone.now() + dt.timedelta(minutes=61)

    with caplog.at_level(logging.ERROR, logger="flowdesk.notify"):
        assert deliver_digests(now=later) == 1
    assert f"digest {first.digest_key} could not be folded" in caplog.text
    assert OutboxMessage.objects.get(pk=first.pk).state == "pending"  # kept for later
    assert OutboxMessage.objects.get(
        recipient=cast["bob"], event_type="ticket.commented"
    ).state == ("digested")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        assert deliver_pending(now=later) == 1
    assert [m.to for m in mail.outbox] == [["bob@flowdesk.test"]]


def test_an_error_text_with_a_nul_byte_is_still_recorded(cast, receiver):
    from notify.actions import do_subscribe_webhook

    do_subscribe_webhook(url=receiver.url + "/in", event_types=["*"])
    receiver.answer((500, b"broken\x00answer"))
    do_notify("ticket.created", context={})
    assert deliver_pending() == 0
    row = OutboxMessage.objects.get(channel="webhook")
    assert (row.state, row.last_error) == ("failed", "HTTP 500 from 127.0.0.1: brokenanswer")
