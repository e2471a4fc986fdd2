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
