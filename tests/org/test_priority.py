"""Intake priority from dmn/sla.dmn (decision `intake_priority`) and the worklist order:
priority desc, due time asc (none last), id."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from definitions.decisions import do_create_decision_versions
from org.priority import (
    HIGH,
    LOW,
    NORMAL,
    URGENT,
    VIP,
    decide_priority,
    intake_priority,
    worklist_key,
    worklist_ordering,
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"vip": True, "customer_tier": "standard", "category": "tv"}, VIP),
        ({"is_vip": "yes"}, VIP),
        ({"customer_tier": "VIP", "category": "tv"}, VIP),
        ({"customer_tier": "standard", "category": "gas leak"}, URGENT),
        ({"customer_tier": "gold", "category": "electrical"}, URGENT),
        ({"customer_tier": "gold", "category": "fridge"}, HIGH),
        ({"customer_tier": "standard", "category": "tv", "channel": "phone"}, HIGH),
        ({"category": "consultation", "channel": "webform"}, LOW),
        ({"customer_tier": "standard", "category": "tv", "channel": "h5"}, NORMAL),
        ({"vip": "no", "customer_tier": "", "category": None}, NORMAL),
        ({}, NORMAL),
    ],
)
def test_intake_priority_from_the_dmn_file(db, data, expected):
    assert intake_priority(data) == expected


def test_the_decision_record_names_the_rule_and_version(db):
    decided = decide_priority({"customer_tier": "gold", "category": "fridge"})
    assert decided.verdict.rule == 4 and decided.verdict.version.startswith("file:")
    assert decided.verdict.as_detail()["inputs"]["Customer tier (客户等级)"] == "gold"


def test_a_published_intake_table_is_used_and_clamped_to_the_scale(db):
    xml = (Path(settings.DMN_DIR) / "sla.dmn").read_text()
    changed = xml.replace(
        '<outputEntry id="pri_r7_o1"><text>1</text>', '<outputEntry id="pri_r7_o1"><text>0</text>'
    )
    assert changed != xml
    do_create_decision_versions("sla.dmn", changed, None, publish=True)
    decided = decide_priority({})
    assert (decided.priority, decided.verdict.version) == (LOW, "v1")


def test_worklists_put_vip_first_then_the_soonest_due(repair):
    from tickets.models import HumanTask, Ticket

    now = dt.datetime(2026, 9, 14, 2, tzinfo=dt.UTC)
    ticket = Ticket.objects.create(process_version=repair)
    rows = {}
    for name, priority, due in [
        ("normal-late", NORMAL, now + dt.timedelta(hours=5)),
        ("normal-undated", NORMAL, None),
        ("vip-late", VIP, now + dt.timedelta(hours=9)),
        ("normal-soon", NORMAL, now + dt.timedelta(hours=1)),
        ("vip-undated", VIP, None),
        ("normal-soon-2", NORMAL, now + dt.timedelta(hours=1)),
    ]:
        rows[name] = HumanTask.objects.create(
            ticket=ticket,
            engine_task_id=name,
            bpmn_id="x",
            name=name,
            priority=priority,
            due_at=due,
        )
    expected = [
        "vip-late",
        "vip-undated",
        "normal-soon",
        "normal-soon-2",
        "normal-late",
        "normal-undated",
    ]
    ordered = HumanTask.objects.filter(ticket=ticket).order_by(*worklist_ordering())
    assert [t.name for t in ordered] == expected
    in_memory = sorted(rows.values(), key=lambda t: worklist_key(t.priority, t.due_at, t.id))
    assert [t.name for t in in_memory] == expected
