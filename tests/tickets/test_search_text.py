"""The ticket's search text, kept by the database (tickets.triggers): number,
title and form values, lower-cased, never keys or yes/no values; it follows every write,
whoever makes it, and text search finds exactly what it holds (LIKE wildcards are text)."""

import pytest
from django.db import connection

from tests.conftest import FIXTURES, deploy_file
from tickets import actions, triggers
from tickets.models import Ticket
from tickets.search import text_matches

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(cast):
    deploy_file(FIXTURES / "desk.bpmn")
    return cast["bob"]


def stored(ticket) -> list[str]:
    return Ticket.objects.get(id=ticket.id).search_text.split("\n")


def found(text: str) -> set[int]:
    return set(Ticket.objects.filter(text_matches(text)).values_list("id", flat=True))


def test_the_search_text_holds_number_title_and_values_never_keys(desk):
    data = {
        "symptom": "Compressor RATTLES",
        "visits": 2,
        "urgent": True,
        "notes": {"parts": ["X-9"]},
    }
    ticket = actions.do_start_ticket(desk, "desk", data, title="Fridge Warm")
    lines = stored(ticket)
    assert lines[0] == ticket.number.lower() and lines[1] == "fridge warm"
    assert {"compressor rattles", "2", "x-9"} <= set(lines)
    assert not {"symptom", "visits", "urgent", "true", "notes", "parts"} & set(lines)
    assert found("RATTLES") == found("x-9") == found(ticket.number[-6:]) == {ticket.id}
    assert found("urgent") == found("true") == set()


def test_the_search_text_follows_every_write(desk):
    ticket = actions.do_start_ticket(desk, "desk", {"symptom": "drum bangs"}, title="Washer")
    Ticket.objects.filter(id=ticket.id).update(data={"symptom": "door seal torn"})
    assert "door seal torn" in stored(ticket) and "drum bangs" not in stored(ticket)
    ticket.refresh_from_db()
    ticket.search_text = "stale"  # whatever the application writes, the trigger decides
    ticket.title = "Washer leaks"
    ticket.save()
    assert stored(ticket)[1] == "washer leaks" and "door seal torn" in stored(ticket)
    Ticket.objects.filter(id=ticket.id).update(status="completed")
    assert stored(ticket)[1] == "washer leaks"
    assert found("LEAKS") == {ticket.id} and found("drum") == set()


def test_wildcards_and_chinese_are_searched_as_written(desk):
    half = actions.do_start_ticket(desk, "desk", {"symptom": "冰箱不制冷"}, title="50% off")
    other = actions.do_start_ticket(desk, "desk", {"symptom": "a_b"}, title="500 off")
    assert found("50%") == {half.id}
    assert found("不制冷") == {half.id}
    assert found("a_b") == {other.id} and found("a%b") == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite drops triggers on rebuilds")
def test_sqlite_triggers_come_back_after_a_migration_rebuilt_the_table(desk):
    triggers.uninstall(connection, "search_text")
    triggers.reinstall_after_migrate(using="default")
    ticket = actions.do_start_ticket(desk, "desk", {"symptom": "fan rattles"}, title="Fan")
    assert "fan rattles" in stored(ticket)
