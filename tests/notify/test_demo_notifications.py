"""Out of the box (load_demo, default settings): a new ticket mails the customer through the
console e-mail backend and puts the new step in the dispatcher's notification centre."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from customers.actions import do_link_customer
from notify.delivery import deliver_pending
from notify.fanout import run_pending_fanout
from notify.mailing import reply_address
from notify.models import InAppMessage
from tests.conftest import repair_start
from tickets import actions

pytestmark = pytest.mark.django_db


def test_the_demo_mails_and_notifies(settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    call_command("load_demo", stdout=io.StringIO())
    bob, alice = User.objects.get(username="bob"), User.objects.get(username="alice")
    customer, _ = do_link_customer({"name": "王芳", "email": "wang.fang@example.cn"})
    ticket = actions.do_start_ticket(bob, "repair", repair_start(), title="电视无法开机",
                                     customer=customer)  # fmt: skip
    run_pending_fanout()
    capsys.readouterr()
    assert deliver_pending() >= 2
    printed = capsys.readouterr().out
    assert "To: wang.fang@example.cn" in printed
    assert f"Reply-To: {reply_address(ticket.number)}" in printed
    assert f"+{ticket.number}@" in reply_address(ticket.number)
    told = InAppMessage.objects.filter(user=alice, ticket_id=ticket.id)
    assert told.exists() and ticket.number in told.first().title
    client = Client()
    client.force_login(alice)
    page = client.get("/notify/").content.decode()
    assert ticket.number in page and f'href="/tickets/{ticket.id}/"' in page
