"""Preferences: disabled channels, quiet hours in the user's zone, digests."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from notify.actions import do_notify, do_set_preferences, do_set_template
from notify.delivery import deliver_digests, deliver_pending
from notify.models import ChannelPreference, OutboxMessage
from notify.preferences import quiet_until

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def _pref(start, end, zone="Asia/Shanghai"):
    return ChannelPreference(quiet_start=start, quiet_end=end, time_zone=zone)


@pytest.mark.parametrize(
    ("local_now", "expected_local_end"),
    [
        (dt.datetime(2026, 3, 1, 23, 0), dt.datetime(2026, 3, 2, 8, 0)),  # before midnight
        (dt.datetime(2026, 3, 2, 6, 30), dt.datetime(2026, 3, 2, 8, 0)),  # after midnight
        (dt.datetime(2026, 3, 2, 22, 0), dt.datetime(2026, 3, 3, 8, 0)),  # the first minute
        (dt.datetime(2026, 3, 2, 8, 0), None),  # the window has ended
        (dt.datetime(2026, 3, 2, 12, 0), None),
    ],
)
def test_quiet_hours_wrapping_midnight(local_now, expected_local_end):
    pref = _pref(dt.time(22), dt.time(8))
    now = local_now.replace(tzinfo=SHANGHAI).astimezone(UTC)
    until = quiet_until(pref, now)
    if expected_local_end is None:
        assert until is None
    else:
        assert until == expected_local_end.replace(tzinfo=SHANGHAI)
        assert until.tzinfo is not None


def test_quiet_hours_are_read_in_the_users_zone():
    pref = _pref(dt.time(12), dt.time(14), zone="Europe/Berlin")
    # 12:30 in Shanghai is 05:30 in Berlin (winter): not quiet there
    now = dt.datetime(2026, 1, 5, 12, 30, tzinfo=SHANGHAI)
    assert quiet_until(pref, now) is None
    berlin_noon = dt.datetime(2026, 1, 5, 12, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert quiet_until(pref, berlin_noon) == dt.datetime(
        2026, 1, 5, 14, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )
    assert quiet_until(_pref(None, dt.time(8)), now) is None


def test_disabled_channels_are_skipped(cast):
    do_set_preferences(cast["alice"], email_enabled=False)
    do_set_template("ticket.assigned", "email", subject="s", body="b")
    do_set_template("ticket.assigned", "inapp", subject="s", body="b")
    rows = do_notify("ticket.assigned", users=[cast["alice"], cast["bob"]], context={})
    assert sorted((r.recipient.username, r.channel) for r in rows) == [
        ("alice", "inapp"),
        ("bob", "email"),
        ("bob", "inapp"),
    ]
    # urgency does not override a user's "off"
    rows = do_notify("ticket.assigned", users=[cast["alice"]], context={}, urgent=True)
    assert [r.channel for r in rows] == ["inapp"]


def test_quiet_hours_defer_non_urgent_push_messages_to_their_end(cast):
    local_now = timezone.now().astimezone(SHANGHAI).replace(microsecond=0)
    start, end = local_now - dt.timedelta(hours=1), local_now + dt.timedelta(hours=1)
    do_set_preferences(cast["alice"], quiet_start=start.strftime("%H:%M:%S"), quiet_end=end.time())
    rows = do_notify("e", users=[cast["alice"]], channels=["email", "inapp"], context={})
    by_channel = {r.channel: r for r in rows}
    assert by_channel["email"].next_attempt_at == end
    assert by_channel["inapp"].next_attempt_at <= timezone.now()  # the inbox is silent

    (urgent,) = do_notify("e", users=[cast["alice"]], channels=["email"], context={}, urgent=True)
    assert urgent.next_attempt_at <= timezone.now()

    assert deliver_pending() == 2  # in-app and the urgent email
    assert [m.to for m in mail.outbox] == [["alice@flowdesk.test"]]
    assert deliver_pending(now=end.astimezone(UTC)) == 1
    assert len(mail.outbox) == 2


def test_digest_batches_non_urgent_messages_per_channel(cast):
    do_set_preferences(cast["alice"], digest_interval_minutes=60)
    for number in (1, 2, 3):
        do_notify(
            "ticket.commented",
            ticket_id=number,
            users=[cast["alice"]],
            channels=["email", "inapp"],
            context={"n": number},
            subject="Comment on SV-{{ n }}",
            body="see ticket {{ n }}",
        )
    do_notify("sla.breach", users=[cast["alice"]], channels=["email"], context={}, urgent=True)
    t0 = timezone.now()

    assert deliver_pending() == 4  # 3 in-app + the urgent email, no digest items
    assert [m.subject for m in mail.outbox] == ["sla.breach"]
    waiting = OutboxMessage.objects.filter(state="pending")
    assert waiting.count() == 3
    assert set(waiting.values_list("digest_key", flat=True)) == {f"{cast['alice'].pk}:email"}

    assert deliver_digests(now=t0 + dt.timedelta(minutes=30)) == 0  # interval not over
    assert deliver_digests(now=t0 + dt.timedelta(minutes=61)) == 1
    assert deliver_digests(now=t0 + dt.timedelta(minutes=62)) == 0  # folded only once
    assert OutboxMessage.objects.filter(state="digested").count() == 3

    assert deliver_pending(now=t0 + dt.timedelta(minutes=61)) == 1
    digest = mail.outbox[-1]
    assert len(mail.outbox) == 2
    assert digest.subject == "3 notifications"
    for number in (1, 2, 3):
        assert f"Comment on SV-{number}" in digest.body
        assert f"see ticket {number}" in digest.body


def test_digest_uses_its_template_and_respects_quiet_hours(cast):
    do_set_template(
        "digest",
        "email",
        subject="{{ count }} updates",
        body="{% for i in items %}{{ i.subject }};{% endfor %}",
    )
    do_set_preferences(
        cast["bob"], digest_interval_minutes=15, quiet_start="22:00", quiet_end="08:00"
    )
    do_notify("a", users=[cast["bob"]], channels=["email"], context={})
    do_notify("b", users=[cast["bob"]], channels=["email"], context={})
    night = dt.datetime(2030, 5, 1, 23, 0, tzinfo=SHANGHAI)
    assert deliver_digests(now=night) == 1
    digest = OutboxMessage.objects.get(event_type="digest")
    assert (digest.subject, digest.body) == ("2 updates", "a;b;")
    assert digest.next_attempt_at == dt.datetime(2030, 5, 2, 8, 0, tzinfo=SHANGHAI)


def test_set_preferences_validates(cast):
    with pytest.raises(ValidationError):
        do_set_preferences(cast["alice"], time_zone="Mars/Olympus")
    with pytest.raises(ValidationError):
        do_set_preferences(cast["alice"], digest_interval_minutes=-5)
    with pytest.raises(ValidationError):
        do_set_preferences(cast["alice"], is_superuser=True)
    pref = do_set_preferences(cast["alice"], time_zone="Europe/Berlin", sms_enabled=False)
    pref.refresh_from_db()
    assert (pref.time_zone, pref.sms_enabled, pref.email_enabled) == ("Europe/Berlin", False, True)
    assert ChannelPreference(user=cast["bob"]).time_zone == "Asia/Shanghai"
