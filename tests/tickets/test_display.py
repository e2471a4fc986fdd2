"""Ticket data as people read it: titles from the forms, money, dates in the reader's
zone, yes/no, option labels, tables for lists and objects, the quote as a line table."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from forms.schema import load_form
from tickets.display import Names, data_entries, money, referenced_names, when

SCHEMA = """{
  "title": "Visit", "type": "object",
  "properties": {
    "visit_at": {"type": "string", "format": "date-time", "title": "Visit at"},
    "visit_date": {"type": "string", "format": "date", "title": "Visit date"},
    "needs_parts": {"type": "boolean", "title": "Parts needed"},
    "parts_cost": {"type": "string", "x-field": "money", "title": "Parts cost"},
    "region": {"type": "string", "title": "Region", "enum": ["tier1", "tier2"],
               "enumNames": ["First-tier city", "Second-tier city"]},
    "channel": {"type": "string", "title": "Channel",
                "oneOf": [{"const": "phone", "title": "By phone"}, {"const": "visit", "title": "On site"}]},
    "technician": {"type": "string", "title": "Technician", "x-field": "user"},
    "items": {"type": "array", "title": "Parts used",
              "items": {"type": "object", "properties": {
                  "part": {"type": "string", "title": "Part"},
                  "qty": {"type": "integer", "title": "Quantity"}}}},
    "address": {"type": "object", "title": "Address", "properties": {
        "city": {"type": "string", "title": "City"}, "street": {"type": "string", "title": "Street"}}}
  }
}"""


@pytest.fixture
def fields():
    form = load_form({"visit.schema.json": SCHEMA}, "visit.schema.json")
    return {f.path: f for f in form.walk()}


def shown(entries):
    return {e.title: e for e in entries}


def test_money_has_its_currency_two_decimals_and_grouped_thousands():
    with translation.override("en"):
        assert money("1234.5") == "¥1,234.50"
        assert money(80) == "¥80.00"
        assert money("-3") == "-¥3.00"
        assert money("12", "USD") == "$12.00"
    with translation.override("zh-hans"):  # as the settlement block beside it writes money
        assert money("1978") == "¥1,978.00"


def test_times_are_shown_in_the_readers_zone_and_dates_as_dates():
    at = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
    with translation.override("en"):
        with timezone.override(ZoneInfo("Asia/Shanghai")):
            assert when(at) == "11/30/2026 11 p.m."
            assert when("2026-11-30T16:30:00Z") == "12/01/2026 12:30 a.m."
        with timezone.override(ZoneInfo("Europe/London")):
            assert when("2026-11-30T15:00:00Z") == "11/30/2026 3 p.m."
        assert when("2026-11-24") == "Nov. 24, 2026"


@pytest.mark.django_db
def test_fields_under_their_titles_with_labels_names_tables_and_line_tables(fields, cast):
    cast["tom"].first_name, cast["tom"].last_name = "Tom", "Zhang"
    cast["tom"].save()
    data = {
        "needs_parts": True,
        "parts_cost": "1280",
        "region": "tier2",
        "channel": "visit",
        "technician": "tom",
        "visit_date": "2026-11-24",
        "items": [{"part": "fan", "qty": 2}, {"part": "belt", "qty": 1}],
        "address": {"city": "Hangzhou", "street": "West Lake Rd 1"},
        "quote": {"labor": "80.00", "parts": "1280.00", "total": "1360.00"},
        "ticket_number": "SV-2026-000001",
        "sla_hours": 2,
        "priority": 4,
        "labor_rate": 80,
    }
    found = referenced_names(data, fields)
    assert found == {
        "usernames": {"tom"},
        "customer_ids": set(),
        "skus": set(),
        "warehouse_codes": set(),
    }
    with translation.override("en"):
        described, other = data_entries(data, fields, Names.load(**found))
    entries = shown(described)
    assert entries["Parts needed"].text == "Yes"
    assert entries["Parts cost"].text == "¥1,280.00"
    assert entries["Region"].text == "Second-tier city"
    assert entries["Channel"].text == "On site"
    assert entries["Technician"].text == "Tom Zhang"
    assert entries["Visit date"].text == "Nov. 24, 2026"
    parts = entries["Parts used"].table
    assert parts.headers == ["Part", "Quantity"] and parts.rows == [["fan", "2"], ["belt", "1"]]
    address = shown(entries["Address"].entries)
    assert address["City"].text == "Hangzhou" and address["Street"].text == "West Lake Rd 1"
    quote = entries["Quote"].table
    assert quote.rows == [["Labour", "¥80.00"], ["Parts", "¥1,280.00"]]
    assert quote.footer == [["Total", "¥1,360.00"]]
    assert [e.title for e in other] == ["Labor rate"] and other[0].text == "80"
    every = " ".join(e.title + e.text for e in described + other)
    for raw in ("ticket_number", "sla_hours", "Sla hours", "True", "{", "tier2"):
        assert raw not in every


def test_chinese_readers_get_chinese_words(fields):
    with translation.override("zh-hans"):
        described, _ = data_entries({"needs_parts": False}, fields, Names())
    assert described[0].text == "否"


BILINGUAL = """{
  "title": "车辆进厂 Check-in", "type": "object",
  "properties": {
    "plate": {"type": "string", "title": "车牌号 Plate number"},
    "system": {"type": "string", "title": "故障系统 System", "enum": ["brakes", "engine"],
               "enumNames": ["制动 Brakes", "发动机 Engine"]},
    "parts": {"type": "array", "title": "备件 Parts", "items": {"type": "object", "properties": {
        "sku": {"type": "string", "title": "备件 Part (SKU)"}}}}
  }
}"""


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ("Plate number", "System", "Brakes", "Part (SKU)")),
        ("zh-hans", ("车牌号", "故障系统", "制动", "备件")),
    ],
)
def test_titles_and_labels_written_in_both_languages_show_the_readers(language, expected):
    form = load_form({"check_in.schema.json": BILINGUAL}, "check_in.schema.json")
    fields = {f.path: f for f in form.walk()}
    data = {"plate": "沪A12345", "system": "brakes", "parts": [{"sku": "BRK-01"}]}
    with translation.override(language):
        described, _other = data_entries(data, fields, Names())
        plate, system, parts = described
        shown = (plate.title, system.title, system.text, parts.table.headers[0])
    assert shown == expected and plate.text == "沪A12345"  # values stay as given


def test_an_address_field_reads_as_one_line_without_its_part_names():
    schema = """{"type": "object", "properties": {
        "site": {"type": "object", "x-field": "address", "title": "Site address",
                 "x-i18n": {"zh-hans": {"title": "现场地址"}}}}}"""
    form = load_form({"site.schema.json": schema}, "site.schema.json")
    fields = {f.path: f for f in form.walk()}
    site = {"province": "上海市", "city": "上海市", "district": "松江区", "street": "民益路 201 号"}
    with translation.override("zh-hans"):
        (entry,), _ = data_entries({"site": site}, fields, Names())
    assert (entry.title, entry.text, entry.entries) == (
        "现场地址",
        "上海市 松江区 民益路 201 号",
        [],
    )


PARTS_SCHEMA = """{
  "title": "On site", "type": "object",
  "properties": {
    "parts_used": {"type": "array", "title": "Parts used",
      "items": {"type": "object", "properties": {
        "sku": {"type": "string", "x-field": "part", "title": "Part (SKU)"},
        "warehouse": {"type": "string", "x-field": "warehouse", "title": "Warehouse"},
        "quantity": {"type": "integer", "title": "Quantity"}}}}
  }
}"""


@pytest.mark.django_db
def test_parts_and_warehouses_read_by_their_catalogue_names_in_the_readers_language():
    from pricing.models import Part, Warehouse

    Part.objects.create(
        sku="EQ-CTRL-BOARD", name="主控板 Control board", unit_cost=900, unit_price=1600
    )
    Warehouse.objects.create(code="WH-SH", name="上海中心仓 Shanghai central warehouse")
    Warehouse.objects.create(code="WH-BJ", name="WH-BJ")  # named by its code alone
    form = load_form({"onsite.schema.json": PARTS_SCHEMA}, "onsite.schema.json")
    fields = {f.path: f for f in form.walk()}
    data = {
        "parts_used": [
            {"sku": "EQ-CTRL-BOARD", "warehouse": "WH-SH", "quantity": 1},
            {"sku": "X-9", "warehouse": "WH-BJ", "quantity": 2},
        ]
    }
    found = referenced_names(data, fields)
    assert found["skus"] == {"EQ-CTRL-BOARD", "X-9"}
    assert found["warehouse_codes"] == {"WH-SH", "WH-BJ"}
    names = Names.load(**found)
    for language, board, store in (
        ("en", "Control board", "Shanghai central warehouse"),
        ("zh-hans", "主控板", "上海中心仓"),
    ):
        with translation.override(language):
            (entry,), _ = data_entries(data, fields, names)
        assert entry.table.rows == [
            [f"{board} · EQ-CTRL-BOARD", f"{store} · WH-SH", "1"],
            ["X-9", "WH-BJ", "2"],
        ]
