"""The worker drains fan-out jobs in batches: what notify itself reads and writes costs the
same statements for one job as for many, a batch is one transaction (a worker that dies
mid-batch leaves its jobs for the next sweep, and nothing is written twice), and a bad job
holds back neither its batch nor later ones."""

import threading

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customers.actions import do_link_customer
from notify import fanout
from notify.fanout import run_pending_fanout
from notify.models import FanoutJob, OutboxMessage
from tests.conftest import _user, repair_start
from tickets import actions
from tickets.engine import record_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_failed_jobs_remembered():
    fanout._failing.clear()  # another test's bad job is not this one's
    yield
    fanout._failing.clear()


@pytest.fixture
def crew(db):
    people = {
        "alice": _user("alice", ["agents", "dispatchers"]),
        "tom": _user("tom", ["technicians"]),
        "bob": _user("bob", ["supervisors", "agents"]),
    }
    for name, user in people.items():
        user.email = f"{name}@flowdesk.test"
        user.save(update_fields=["email"])
    return people


def start(crew, title, email="wang.fang@example.cn"):
    customer, _ = do_link_customer({"name": "Wang Fang", "email": email})
    return actions.do_start_ticket(
        crew["alice"], "repair", repair_start(), title=title, customer=customer
    )


def notify_statements(queries) -> list[str]:
    """What notify's fan-out itself runs (the tickets app's audience resolver and
    redactor read tickets, users and groups: one batch asks them per event)."""
    return [
        q["sql"]
        for q in queries
        if '"notify_' in q["sql"] or q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]


def drain_counted() -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        written = run_pending_fanout()
    return written, notify_statements(queries.captured_queries)


def test_a_batch_costs_notify_the_same_statements_for_one_job_as_for_many(crew, repair):
    run_pending_fanout()
    start(crew, "电视无法开机")
    one_job, small = drain_counted()

    dispatchers = Group.objects.get(name="dispatchers")
    for index in range(4):  # more recipients per event, and more tickets and jobs
        user = User.objects.create_user(f"dispatcher{index}", email=f"d{index}@flowdesk.test")
        user.groups.add(dispatchers)
    tickets = [start(crew, f"空调不制冷 {n}", email=f"c{n}@example.cn") for n in range(5)]
    for ticket in tickets:
        record_event(ticket, "info_requested", actor=crew["alice"], question="哪天方便上门？")
    assert FanoutJob.objects.count() == 10
    many_jobs, large = drain_counted()

    assert many_jobs > 5 * one_job  # every job of the batch was fanned out...
    assert len(large) == len(small)  # ...at the notify statements of a single one
    inserts = [sql for sql in large if sql.startswith('INSERT INTO "notify_outboxmessage"')]
    assert len(inserts) == 1
    savepoints = [sql for sql in large if sql.startswith("SAVEPOINT")]
    assert len(savepoints) == 1  # one transaction for the batch, none per job or rule
    assert not FanoutJob.objects.exists()
    assert OutboxMessage.objects.filter(event_type="info_requested").count() == 5


def test_each_job_runs_once_whatever_the_batches(crew, repair, monkeypatch):
    monkeypatch.setattr(fanout, "BATCH", 2)
    run_pending_fanout()
    tickets = [start(crew, f"冰箱 {n}", email=f"f{n}@example.cn") for n in range(3)]
    for ticket in tickets:
        record_event(ticket, "completed", actor=crew["alice"])
    assert FanoutJob.objects.count() == 6
    assert run_pending_fanout(limit=3) > 0  # two batches: 2 jobs, then 1
    assert FanoutJob.objects.count() == 3
    run_pending_fanout()
    assert run_pending_fanout() == 0 and not FanoutJob.objects.exists()
    mails = OutboxMessage.objects.filter(event_type="completed", channel="email")
    assert sorted(mails.values_list("address", flat=True)) == [
        "f0@example.cn",
        "f1@example.cn",
        "f2@example.cn",
    ]


def test_a_bad_job_is_tried_alone_and_holds_back_no_batch(crew, repair, caplog):
    ticket = start(crew, "电视无法开机")
    run_pending_fanout()
    bad = FanoutJob.objects.create(events=[{"id": 1, "kind": "completed", "no_such_field": 1}])
    record_event(ticket, "info_requested", actor=crew["alice"], question="哪天方便上门？")
    run_pending_fanout()
    assert OutboxMessage.objects.filter(event_type="info_requested").count() == 1
    assert list(FanoutJob.objects.values_list("id", flat=True)) == [bad.id]
    assert caplog.text.count(f"fan-out: job {bad.id} failed") == 1

    record_event(ticket, "completed", actor=crew["alice"])
    with CaptureQueriesContext(connection) as queries:
        run_pending_fanout()
    assert OutboxMessage.objects.filter(event_type="completed").count() == 1
    rollbacks = [q for q in queries.captured_queries if q["sql"].startswith("ROLLBACK")]
    assert len(rollbacks) == 1  # the bad job alone, not the batch with it
    assert caplog.text.count(f"fan-out: job {bad.id} failed") == 2
    assert list(FanoutJob.objects.values_list("id", flat=True)) == [bad.id]


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_worker_dies_is_fanned_out_once_by_the_next_sweep(crew, repair):
    ticket = start(crew, "电视无法开机")
    run_pending_fanout()
    record_event(ticket, "completed", actor=crew["alice"])
    claimed, die = threading.Event(), threading.Event()

    def worker_that_dies():
        try:
            with transaction.atomic():
                assert fanout._claim(FanoutJob.objects.all(), 10)
                claimed.set()
                die.wait(30)
                raise RuntimeError("the worker died mid-batch")
        except RuntimeError:
            pass
        finally:
            connection.close()

    thread = threading.Thread(target=worker_that_dies)
    thread.start()
    assert claimed.wait(30)
    try:
        assert run_pending_fanout() == 0  # the live batch's jobs are skipped, not waited for
        assert FanoutJob.objects.count() == 1
    finally:
        die.set()
        thread.join(30)
    assert run_pending_fanout() == 1  # the dead batch rolled back: its job runs now
    assert run_pending_fanout() == 0
    assert OutboxMessage.objects.filter(event_type="completed").count() == 1
    assert not FanoutJob.objects.exists()
