"""Validating submissions: every field type coerced and checked, every error at once."""

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest

from forms.permissions import field_access
from forms.schema import load_form
from forms.validation import validate_submission

USERS = {"alice", "tom", "carol"}
LOOKUPS = {
    "user": USERS.__contains__,
    "customer": {"C-001", "C-002"}.__contains__,
    "part": {"P-100", "P-300"}.__contains__,
}
SHA = hashlib.sha256(b"photo").hexdigest()
PHOTO = {"name": "leak.jpg", "size": 2048, "content_type": "image/jpeg", "sha256": SHA}


def _form(**props):
    schema = {"type": "object", "properties": props}
    required = [name for name, prop in props.items() if prop.pop("required!", False)]
    schema["required"] = required
    return load_form({"f.schema.json": json.dumps(schema)}, "f.schema.json")


def _check(form, submitted, **kwargs):
    access = field_access(form, "Task", ["agents"])
    return validate_submission(form, submitted, access, lookups=LOOKUPS, **kwargs)


def _intake(repair_form):
    """The repair form as the intake agent sees it (every intake field editable)."""
    return field_access(
        repair_form,
        "Task_Intake",
        ["agents"],
        task_fields={
            "customer_name", "phone", "email", "address", "street", "fault_category",
            "description", "photos", "urgent", "visit_date", "engineer", "parts",
        },
    )  # fmt: skip


def test_a_good_repair_submission_is_cleaned_to_typed_values(repair_form):
    submitted = {
        "customer_name": " 王芳 ",
        "phone": "13812341234",
        "email": "wangfang@example.com",
        "address": ["广东", "深圳", "南山"],
        "fault_category": "leak",
        "description": "洗衣机底部漏水，已经两天了",
        "photos": [PHOTO],
        "urgent": "on",
        "visit_date": "2026-03-02",
        "engineer": "tom",
        "parts": ["P-300", "P-100"],
    }
    result = validate_submission(repair_form, submitted, _intake(repair_form), lookups=LOOKUPS)
    assert result.errors == {}
    assert result.cleaned == {
        **submitted,
        "customer_name": "王芳",
        "urgent": True,
        "visit_date": dt.date(2026, 3, 2),
    }


def test_invalid_input_returns_every_error_at_once(repair_form):
    submitted = {
        "customer_name": "",
        "phone": "12345",
        "email": "not-an-email",
        "address": ["广东", "北京市"],
        "fault_category": "fire",
        "description": "short",
        "photos": [{**PHOTO, "content_type": "image/gif"}],
        "urgent": "maybe",
        "visit_date": "2026-02-30",
        "engineer": "mallory",
        "parts": ["P-300", "P-999"],
        "colour": "red",
    }
    result = validate_submission(repair_form, submitted, _intake(repair_form), lookups=LOOKUPS)
    assert result.errors == {
        "customer_name": "This field is required.",
        "phone": "Enter an 11-digit mobile number such as 13812341234.",
        "email": "Enter a valid email address.",
        "address": "Choose a valid City.",
        "fault_category": "Select a valid choice.",
        "description": "Enter at least 10 characters.",
        "photos": "leak.jpg: files of type image/gif are not accepted here.",
        "urgent": "Enter true or false.",
        "visit_date": "Enter a valid date (YYYY-MM-DD).",
        "engineer": "Unknown user: mallory.",
        "parts": "'P-999' is not one of the available choices.",
        "colour": "Unknown field.",
    }
    assert result.cleaned == {}
    assert not result.ok


def test_required_fields_already_filled_need_not_be_resent(repair_form, ticket_data):
    access = _intake(repair_form)
    result = validate_submission(repair_form, {"street": "8 号"}, access, current=ticket_data)
    assert result.errors == {} and result.cleaned == {"street": "8 号"}
    missing = validate_submission(repair_form, {"street": "8 号"}, access, current={})
    assert set(missing.errors) == {
        "customer_name",
        "phone",
        "address",
        "fault_category",
        "description",
    }


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("1280", Decimal("1280.00")),
        ("0.1", Decimal("0.10")),
        ("¥1,234.5", Decimal("1234.50")),
        (" 99.90 ", Decimal("99.90")),
        (12.5, Decimal("12.50")),
        (7, Decimal("7.00")),
    ],
)
def test_money_is_an_exact_decimal_with_two_places(raw, expected):
    form = _form(amount={"x-field": "money", "minimum": 0})
    result = _check(form, {"amount": raw})
    assert result.errors == {}
    assert result.cleaned["amount"] == expected
    assert str(result.cleaned["amount"]) == str(expected)


@pytest.mark.parametrize(
    "raw,error",
    [
        ("12.345", "Enter an amount with at most 2 decimal places."),
        ("abc", "Enter an amount such as 1234.50."),
        ("-1", "Must be at least 0."),
        ("NaN", "Enter an amount such as 1234.50."),
        (True, "Enter an amount such as 1234.50."),
        ("1e30", "Enter a smaller amount."),
    ],
)
def test_money_rejects_what_it_cannot_store_exactly(raw, error):
    form = _form(amount={"x-field": "money", "minimum": 0})
    assert _check(form, {"amount": raw}).errors == {"amount": error}


def test_numbers_and_integers():
    form = _form(
        age={"type": "integer", "minimum": 18, "maximum": 130},
        weight={"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
    )
    assert _check(form, {"age": "42", "weight": "2.5"}).cleaned == {"age": 42, "weight": 2.5}
    assert _check(form, {"age": 42.0, "weight": 3}).cleaned == {"age": 42, "weight": 3}
    assert _check(form, {"age": "4.2", "weight": "0"}).errors == {
        "age": "Enter a whole number.",
        "weight": "Must be greater than 0.",
    }
    assert _check(form, {"age": "131", "weight": "0.7"}).errors == {
        "age": "Must be at most 130.",
        "weight": "Must be a multiple of 0.5.",
    }
    assert _check(form, {"age": "", "weight": None}).cleaned == {"age": None, "weight": None}


def test_text_lengths_patterns_and_formats():
    form = _form(
        code={"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[A-Z]+$"},
        site={"type": "string", "format": "uri"},
        note={"type": "string", "x-field": "textarea"},
    )
    assert _check(form, {"code": "AB", "site": "https://example.com", "note": ""}).ok
    assert _check(form, {"code": "A", "site": "nope", "note": 5}).errors == {
        "code": "Enter at least 2 characters.",
        "site": "Enter a valid URL.",
        "note": "Enter text.",
    }
    assert _check(form, {"code": "abc"}).errors == {"code": "Enter a value in the expected format."}
    assert _check(form, {"code": "ABCDE"}).errors == {"code": "Enter at most 4 characters."}


def test_dates_and_datetimes_are_read_in_the_users_time_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    form = _form(day={"type": "string", "format": "date"}, at={"format": "date-time"})
    result = _check(form, {"day": "2026-03-01", "at": "2026-03-01T09:30"})
    assert result.cleaned == {
        "day": dt.date(2026, 3, 1),
        "at": dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC),
    }
    aware = _check(form, {"at": "2026-03-01T09:30:00+00:00"}).cleaned["at"]
    assert aware == dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    assert _check(form, {"at": "tomorrow"}).errors == {
        "at": "Enter a valid date and time (YYYY-MM-DD HH:MM)."
    }


@pytest.mark.parametrize(
    "raw,expected",
    [("on", True), ("true", True), (["false", "true"], True), ("false", False), (False, False)],
)
def test_checkboxes_read_html_and_json_booleans(raw, expected):
    form = _form(agree={"type": "boolean"})
    assert _check(form, {"agree": raw}).cleaned == {"agree": expected}


def test_select_values_keep_their_schema_type():
    form = _form(
        size={"type": "integer", "oneOf": [{"const": 1, "title": "S"}, {"const": 2, "title": "M"}]},
        vip={"type": "boolean", "x-field": "radio"},
        tier={"type": "string", "enum": ["VIP", "normal"]},
    )
    assert _check(form, {"size": "2", "vip": "false", "tier": "VIP"}).cleaned == {
        "size": 2,
        "vip": False,
        "tier": "VIP",
    }
    assert _check(form, {"size": 2, "vip": True}).cleaned == {"size": 2, "vip": True}
    assert _check(form, {"size": "3", "tier": "vip"}).errors == {
        "size": "Select a valid choice.",
        "tier": "Select a valid choice.",
    }


def test_multi_select_items_count_and_uniqueness():
    form = _form(
        tags={
            "type": "array",
            "uniqueItems": True,
            "minItems": 1,
            "maxItems": 2,
            "items": {"enum": ["a", "b", "c"]},
            "required!": True,
        }
    )
    assert _check(form, {"tags": ["a", "c"]}).cleaned == {"tags": ["a", "c"]}
    assert _check(form, {"tags": "b"}).cleaned == {"tags": ["b"]}
    assert _check(form, {"tags": ["a", "a"]}).errors == {"tags": "Choose each option only once."}
    assert _check(form, {"tags": ["a", "b", "c"]}).errors == {"tags": "Choose at most 2."}
    assert _check(form, {"tags": []}).errors == {"tags": "This field is required."}


def test_cascade_paths_are_checked_against_the_tree(repair_form):
    access = _intake(repair_form)

    def errors(path):
        return validate_submission(repair_form, {"address": path}, access).errors.get("address")

    assert errors(["北京", "北京市", "朝阳"]) is None
    assert errors(["吉林", "长春", "朝阳"]) is None  # the same district name under another city
    assert errors(["广东", "深圳", "朝阳"]) == "Choose a valid District."
    assert errors(["广东", "深圳"]) == "Choose a District."
    assert errors(["广东", "深圳", "南山", "x"]) == "Choose a valid Level 4."
    assert errors("广东/深圳/南山") == "Choose a path such as [province, city, district]."
    assert errors(["广东", "深圳", ""]) == "Choose a District."
    assert errors([]) == "This field is required."


def test_cascade_may_allow_partial_paths():
    tree = [{"value": 1, "label": "A", "children": [{"value": 11, "label": "A1"}]}]
    form = _form(cat={"x-field": "cascade", "x-options": tree, "x-allow-partial": True})
    assert _check(form, {"cat": ["1"]}).cleaned == {"cat": [1]}
    assert _check(form, {"cat": [1, "11"]}).cleaned == {"cat": [1, 11]}


def test_pickers_are_checked_through_the_lookups():
    form = _form(
        engineer={"x-field": "user"},
        customer={"x-field": "customer"},
        parts={"type": "array", "x-field": "part", "maxItems": 3},
    )
    good = {"engineer": "tom", "customer": "C-002", "parts": ["P-100", "P-300"]}
    assert _check(form, good).cleaned == good
    assert _check(form, {"engineer": "eve", "customer": "C-404", "parts": ["P-1"]}).errors == {
        "engineer": "Unknown user: eve.",
        "customer": "Unknown customer: C-404.",
        "parts": "Unknown part: P-1.",
    }
    assert _check(form, {"engineer": ["tom", "alice"]}).errors == {"engineer": "Choose one user."}
    blind = validate_submission(form, {"engineer": "tom"}, field_access(form, "T", []))
    assert blind.errors == {"engineer": "No user directory is available to check this value."}


def test_file_metadata_is_checked_for_size_type_and_shape():
    form = _form(
        photo={"x-field": "file", "x-max-bytes": 1024, "x-accept": ["image/*"]},
        scans={"type": "array", "x-field": "file", "maxItems": 1},
    )
    small = {**PHOTO, "size": 1000}
    assert _check(form, {"photo": small, "scans": [PHOTO]}).cleaned == {
        "photo": small,
        "scans": [PHOTO],
    }
    assert _check(form, {"photo": PHOTO, "scans": [PHOTO, PHOTO]}).errors == {
        "photo": "leak.jpg is too large (at most 1 KB).",
        "scans": "Attach at most 1.",
    }
    assert _check(form, {"photo": {"name": "x.jpg"}}).errors == {
        "photo": "A file is described by name, size, content_type, sha256."
    }
    assert _check(form, {"photo": {**small, "sha256": "nope"}}).errors == {
        "photo": "leak.jpg: sha256 must be 64 lowercase hex digits."
    }


def test_rating_is_one_to_five():
    form = _form(rating={"type": "integer", "x-field": "rating"})
    assert _check(form, {"rating": "5"}).cleaned == {"rating": 5}
    for bad in ("0", "6", "3.5", "great"):
        assert _check(form, {"rating": bad}).errors == {"rating": "Choose a rating from 1 to 5."}


def test_nested_groups_and_lists_report_dotted_paths():
    form = _form(
        customer={
            "type": "object",
            "required": ["phone"],
            "properties": {"name": {"type": "string"}, "phone": {"type": "string"}},
        },
        items={
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "required": ["qty"],
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
            },
        },
    )
    submitted = {
        "customer": {"name": "王芳", "mobile": "138"},
        "items": [{"sku": "A", "qty": "2"}, {"sku": "B", "qty": "0"}, {"sku": "C"}, "x"],
    }
    result = _check(form, submitted)
    assert result.errors == {
        "customer.mobile": "Unknown field.",
        "customer.phone": "This field is required.",
        "items.1.qty": "Must be at least 1.",
        "items.2.qty": "This field is required.",
        "items.3": "Enter a row of field values.",
        "items": "Add at most 3 rows.",
    }
    ok = _check(form, {"customer": {"phone": "138"}, "items": [{"sku": "A", "qty": "2"}]})
    assert ok.cleaned == {"customer": {"phone": "138"}, "items": [{"sku": "A", "qty": 2}]}


def test_a_submission_must_be_an_object(repair_form):
    result = validate_submission(repair_form, ["phone"], {})
    assert result.errors == {"": "The submission must be an object of field values."}


def test_redisplay_keeps_what_was_typed_over_current_data(repair_form, ticket_data):
    result = validate_submission(
        repair_form, {"phone": "12345", "amount": "1"}, _intake(repair_form), current=ticket_data
    )
    assert result.redisplay["phone"] == "12345"  # the typed (invalid) value
    assert result.redisplay["amount"] == "1280.00"  # a field not editable here keeps its value
    assert result.redisplay["customer_tier"] == "VIP"
