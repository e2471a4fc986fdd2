"""Parts and warehouses are chosen by name: the search boxes of a form's part and warehouse
fields ask the pricing catalogs (staff only), a value not in them is refused with a message
naming it, and the ticket page reads them by name."""

import pytest
from django.test import Client

from forms.schema import load_form
from forms.validation import validate_submission
from pricing.models import Part, Warehouse
from tickets.fields import LOOKUPS

pytestmark = pytest.mark.django_db

FORM = """{
  "title": "Parts", "type": "object", "required": ["parts_used"],
  "properties": {
    "parts_used": {"type": "array", "title": "Parts used",
      "items": {"type": "object", "required": ["sku", "warehouse"], "properties": {
        "sku": {"type": "string", "x-field": "part", "title": "Part"},
        "warehouse": {"type": "string", "x-field": "warehouse", "title": "Warehouse"}}}}
  }
}"""


@pytest.fixture
def catalog():
    Part.objects.create(sku="BP-FRONT", name="前刹车片 Front brake pads", unit_cost=1, unit_price=2)
    Part.objects.create(sku="BD-FRONT", name="前刹车盘 Front brake disc", unit_cost=1, unit_price=2)
    Part.objects.create(sku="OIL-5W30", name="机油 Engine oil", unit_cost=1, unit_price=2)
    Warehouse.objects.create(code="WH-SH", name="上海中心仓 Shanghai central warehouse")
    Warehouse.objects.create(code="WH-BJ", name="WH-BJ")


def _client(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_parts_are_found_by_name_or_sku_in_the_readers_language(cast, catalog):
    zh = _client(cast["alice"], "zh-hans").get("/parts/search/", {"q": "刹车"}).json()
    assert zh["results"] == [
        {"value": "BD-FRONT", "label": "前刹车盘 · BD-FRONT"},
        {"value": "BP-FRONT", "label": "前刹车片 · BP-FRONT"},
    ]
    en = _client(cast["alice"]).get("/parts/search/", {"q": "oil-5"}).json()
    assert en["results"] == [{"value": "OIL-5W30", "label": "Engine oil · OIL-5W30"}]
    assert _client(cast["alice"]).get("/parts/search/", {"q": " "}).json()["results"] == []


def test_warehouses_are_listed_before_anything_is_typed(cast, catalog):
    found = _client(cast["alice"]).get("/warehouses/search/").json()["results"]
    assert found == [
        {"value": "WH-BJ", "label": "WH-BJ"},
        {"value": "WH-SH", "label": "Shanghai central warehouse · WH-SH"},
    ]
    found = _client(cast["alice"], "zh-hans").get("/warehouses/search/", {"q": "上海"}).json()
    assert found["results"] == [{"value": "WH-SH", "label": "上海中心仓 · WH-SH"}]


def test_the_catalog_searches_are_for_staff(cast, catalog):
    cast["alice"].is_staff = False
    cast["alice"].save()
    for url in ("/parts/search/", "/warehouses/search/"):
        assert _client(cast["alice"]).get(url, {"q": "WH"}).status_code == 403
        assert Client().get(url, {"q": "WH"}).status_code == 403


def test_a_part_or_warehouse_not_in_the_catalogs_is_refused_by_name(catalog):
    form = load_form({"parts.schema.json": FORM}, "parts.schema.json")
    editable = {path: "editable" for path in form.by_path}
    good = {"parts_used": [{"sku": "BP-FRONT", "warehouse": "WH-SH"}]}
    assert validate_submission(form, good, editable, lookups=LOOKUPS).ok
    bad = {"parts_used": [{"sku": "BP-FRONT", "warehouse": "WH-XX"}]}
    result = validate_submission(form, bad, editable, lookups=LOOKUPS)
    assert not result.ok
    assert result.errors == {"parts_used.0.warehouse": "Unknown warehouse: WH-XX."}
