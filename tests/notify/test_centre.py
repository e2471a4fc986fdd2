"""The notification centre: an HTML page of in-app notifications with the unread count in
the navigation bar, mark read (one or all) and links to the ticket."""

import re

import pytest
from django.test import Client

from notify.actions import do_notify
from notify.delivery import deliver_pending
from notify.models import InAppMessage

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def inbox(cast):
    do_notify("assigned", ticket_id=7, users=[cast["alice"]], channels=["inapp"],
              subject="[SV-2026-000007] 新的待办：检测", body="工单 <b>SV-2026-000007</b>\n第二行")  # fmt: skip
    do_notify("mentioned", users=[cast["alice"]], channels=["inapp"], subject="bob mentioned you")
    do_notify("assigned", users=[cast["bob"]], channels=["inapp"], subject="bob's own")
    deliver_pending()
    return cast


def bell_count(html: str) -> str:
    return re.search(r'data-unread="(\d+)"', html).group(1)


def test_the_page_lists_notifications_with_links_and_the_bell_counts(inbox):
    response = client_for(inbox["alice"]).get("/notify/")
    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "[SV-2026-000007] 新的待办：检测" in html and "bob mentioned you" in html
    assert "bob&#x27;s own" not in html and "bob's own" not in html  # only her own
    assert 'href="/tickets/7/"' in html  # the notification links to its ticket
    assert "&lt;b&gt;SV-2026-000007&lt;/b&gt;" in html  # text, never markup
    assert bell_count(html) == "2"
    newest = InAppMessage.objects.filter(user=inbox["alice"]).latest("id").id
    assert (
        f'data-notify-stream="/notify/inbox/stream/?after={newest}"' in html
    )  # not bob's later one
    assert '<script src="/static/notify.js' in html and "<script>" not in html


def test_mark_one_then_all_read(inbox):
    alice = inbox["alice"]
    client = client_for(alice)
    first = InAppMessage.objects.filter(user=alice).order_by("id").first()
    response = client.post("/notify/read/", {"id": first.id})
    assert response.status_code == 302 and response["Location"] == "/notify/"
    first.refresh_from_db()
    assert first.read_at is not None
    html = client.get("/notify/").content.decode()
    assert bell_count(html) == "1"
    assert "Mark all read" in html
    unread_page = client.get("/notify/?unread=1").content.decode()
    assert "bob mentioned you" in unread_page and "新的待办" not in unread_page
    # someone else's notification id marks nothing of theirs
    bobs = InAppMessage.objects.get(user=inbox["bob"])
    client.post("/notify/read/", {"id": bobs.id})
    bobs.refresh_from_db()
    assert bobs.read_at is None
    client.post("/notify/read/")
    assert not InAppMessage.objects.filter(user=alice, read_at__isnull=True).exists()
    assert bell_count(client.get("/notify/").content.decode()) == "0"
    assert client.post("/notify/read/", {"id": "x"}).status_code == 400


def test_the_bell_of_someone_without_notifications(cast):
    html = client_for(cast["alice"]).get("/notify/").content.decode()
    assert bell_count(html) == "0" and 'data-unread="0" hidden' in html
    assert 'data-notify-stream="/notify/inbox/stream/?after=0"' in html


def test_the_centre_needs_a_login(db):
    response = Client().get("/notify/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_admin_edits_a_rule(cast):
    from notify.models import NotificationRule

    dave = cast["dave"]
    dave.is_superuser = dave.is_staff = True
    dave.save()
    client = client_for(dave)
    rule = NotificationRule.objects.get(key="assigned-to-you")
    url = f"/admin/notify/notificationrule/{rule.id}/change/"
    assert client.get(url).status_code == 200
    templates = list(rule.templates.order_by("language"))
    form = {
        "key": rule.key, "event_kind": rule.event_kind, "bpmn_ids": "[]", "conditions": "{}",
        "channels": '["inapp", "fax"]', "recipients": '["assignee"]', "description": "x",
        "templates-TOTAL_FORMS": "2", "templates-INITIAL_FORMS": "2",
        "templates-MIN_NUM_FORMS": "0", "templates-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for i, t in enumerate(templates):
        form |= {f"templates-{i}-id": t.id, f"templates-{i}-rule": rule.id,
                 f"templates-{i}-language": t.language, f"templates-{i}-subject": t.subject,
                 f"templates-{i}-body": t.body}  # fmt: skip
    assert b"unknown: fax" in client.post(url, form).content
    form["channels"] = '["inapp"]'
    form["templates-1-body"] = "{% if %}"
    assert b"template syntax error" in client.post(url, form).content
    form["templates-1-body"] = "{{ task }} is yours"
    assert client.post(url, form).status_code == 302
    rule.refresh_from_db()
    assert rule.channels == ["inapp"] and not rule.enabled
    assert rule.templates.get(language="zh-hans").body == "{{ task }} is yours"
