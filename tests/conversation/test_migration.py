"""Comments written before the conversation existed become messages (data migration)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("tickets", "0006_ticket_messages")]
AFTER = [("tickets", "0007_comments_to_messages")]


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # the later tests need every table


def test_commented_events_become_messages(cast, repair, back_to_latest):
    from tests.conftest import repair_start
    from tickets import actions

    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    event = old.get_model("tickets", "TicketEvent")
    message = old.get_model("tickets", "TicketMessage")
    message.objects.all().delete()
    event.objects.create(
        ticket_id=ticket.id, kind="commented", actor_id=cast["tom"].id, detail={"body": "staff"}
    )
    event.objects.create(
        ticket_id=ticket.id,
        kind="commented",
        detail={"body": "from the customer", "source": "email", "from": "w@example.cn"},
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("tickets", "TicketMessage")
    rows = list(
        new.objects.filter(ticket_id=ticket.id)
        .order_by("id")
        .values_list("author_kind", "visibility", "body", "author_name", "author_id")
    )
    assert rows == [
        ("staff", "internal", "staff", "", cast["tom"].id),
        ("customer", "public", "from the customer", "w@example.cn", None),
    ]
