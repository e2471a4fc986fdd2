"""Ticket priority at intake, and the one worklist order.

Priority comes from the `intake_priority` decision in dmn/sla.dmn (customer tier, VIP
flag, category, channel) on the tickets' scale LOW=0 NORMAL=1 HIGH=2 URGENT=3 VIP=4.

Worklists sort by priority (highest first), then due time (soonest first, tasks without
a due time after those with one), then id (oldest first). VIP tickets therefore jump every
queue; round-robin turns are not affected by priority (a turn is a turn).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import F, OrderBy

from org.decisions import Verdict, evaluate

LOW, NORMAL, HIGH, URGENT, VIP = range(5)
DECISION_ID = "intake_priority"
DECISION_FILE = "sla.dmn"
_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class PriorityDecision:
    priority: int
    verdict: Verdict


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _vip_flag(data: Mapping[str, Any]) -> bool:
    value = data.get("vip", data.get("is_vip"))
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def decide_priority(data: Mapping[str, Any]) -> PriorityDecision:
    """The priority and the decision record (for the ticket's timeline)."""
    context = dict(data)
    context.update(
        vip=_vip_flag(data),
        customer_tier=_text(data.get("customer_tier")),
        category=_text(data.get("category")),
        channel=_text(data.get("channel")),
    )
    verdict = evaluate(DECISION_ID, DECISION_FILE, context)
    value = verdict.outputs.get("priority")
    priority = NORMAL if value is None else min(max(int(value), LOW), VIP)
    return PriorityDecision(priority, verdict)


def intake_priority(data: Mapping[str, Any]) -> int:
    return decide_priority(data).priority


def worklist_ordering() -> list[OrderBy | str]:
    """For `HumanTask.objects.order_by(*worklist_ordering())`; NULL due times last on every
    database (PostgreSQL and SQLite disagree by default)."""
    return [F("priority").desc(), F("due_at").asc(nulls_last=True), "id"]


def worklist_key(priority: int, due_at: dt.datetime | None, row_id: int) -> tuple:
    """The same order for rows already in memory: `sorted(rows, key=lambda t:
    worklist_key(t.priority, t.due_at, t.id))`."""
    return (-priority, due_at or _FAR_FUTURE, row_id)
