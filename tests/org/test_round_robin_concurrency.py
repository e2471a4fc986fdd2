"""Round-robin fairness when many tasks become ready at the same moment."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from org.assignment import AssignmentRequest, Route, choose_assignee
from org.turns import turns_taken


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent connections taking turns (UPDATE ... RETURNING); SQLite "
    "serialises writers and its in-memory test database is shared by threads",
)
@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_assignments_give_three_agents_ten_each(org):
    workers = 30
    barrier = threading.Barrier(workers)
    picks, errors = [], []
    request = AssignmentRequest(candidate_groups=["technicians"], task="repair_work")

    def assign():
        try:
            barrier.wait()
            result = choose_assignee(request, Route("round_robin"))
            picks.append(result.user.username)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=assign) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Counter(picks) == {"ted": 10, "tina": 10, "tom": 10}
    assert turns_taken(org.groups["technicians"]) == 30


@pytest.mark.skipif(connection.vendor != "postgresql", reason="sequences are PostgreSQL's")
@pytest.mark.django_db
def test_a_group_takes_turns_from_its_own_sequence_and_drops_it_when_deleted(org):
    from django.contrib.auth.models import Group

    from org.turns import take_turn

    night = Group.objects.create(name="night_shift")
    assert turns_taken(night) == 0
    assert [take_turn(night) for _ in range(3)] == [1, 2, 3]
    assert turns_taken(night) == 3 and turns_taken(org.groups["technicians"]) == 0
    sequence = f"org_rr_turns_{night.id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [sequence])
        assert cursor.fetchone()[0]
        night.delete()
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [sequence])
        assert not cursor.fetchone()[0]
