"""json_safe copies plain process data without encoding it: the copy equals what JSON gives
back, for plain data and for data the encoder has to decide about."""

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from tickets.engine import _SnapshotEncoder, json_safe

CASES = [
    {"customer_name": "Wang Fang", "tier": "gold", "accepted": True, "note": None},
    {"labor_hours": 2, "parts_cost": Decimal("150"), "rate": Decimal("12.50"), "x": 1.25},
    {"lines": [{"sku": "FAN-1", "qty": Decimal("2")}, ("a", 1)], "nested": {"deep": [[]]}},
    {"visit": dt.date(2026, 11, 24), "at": dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)},
    {"id": uuid.UUID(int=7), "by_number": {1: "one"}, "odd": {"set"}},
]


@pytest.mark.parametrize("data", CASES)
def test_json_safe_equals_a_json_round_trip(data):
    expected = json.loads(json.dumps(data, cls=_SnapshotEncoder))
    copied = json_safe(data)
    assert copied == expected
    assert json.dumps(copied, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_the_copy_shares_nothing_with_the_process_data():
    data = {"lines": [{"qty": 1}]}
    copied = json_safe(data)
    copied["lines"][0]["qty"] = 2
    assert data == {"lines": [{"qty": 1}]}
