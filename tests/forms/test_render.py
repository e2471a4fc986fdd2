"""Rendering and posting back: the HTML works without JavaScript, keeps what was typed after
an error, and ``parse_post`` reads exactly what a browser sends for it."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from forms.permissions import field_access
from forms.render import HIDDEN_FIELD_ERROR, parse_post, render_form
from forms.schema import load_form
from forms.validation import validate_submission

from .browser import BrowserForm

LOOKUPS = {
    "user": {"tom", "alice"}.__contains__,
    "customer": {"C-001"}.__contains__,
    "part": {"P-100", "P-300"}.__contains__,
}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000


@pytest.fixture
def agent_access(repair_form):
    """An agent on a node whose form is the whole repair form: everything editable."""
    return field_access(repair_form, "Task_Review", ["agents"])


def _submit(form, browser, access, current, files=None):
    submission = parse_post(form, browser.post(), files=files)
    return validate_submission(form, submission, access, current=current, lookups=LOOKUPS)


def test_every_control_has_a_label(repair_form, agent_access, ticket_data):
    for data in (ticket_data, {}):
        browser = BrowserForm(render_form(repair_form, data, agent_access))
        assert browser.unlabelled() == []
        assert {c.name for c in browser.controls} >= {f.name for f in repair_form.fields}


def test_an_untouched_form_posts_back_the_same_data(repair_form, agent_access, ticket_data):
    browser = BrowserForm(render_form(repair_form, ticket_data, agent_access))
    result = _submit(repair_form, browser, agent_access, ticket_data)
    assert result.errors == {}
    expected = {k: v for k, v in ticket_data.items() if k not in ("photos", "customer_tier")}
    assert result.cleaned == {
        **expected,
        "visit_date": dt.date(2026, 3, 2),
        "amount": Decimal("1280.00"),
    }


def test_a_user_edits_every_kind_of_control(repair_form, agent_access, ticket_data):
    browser = BrowserForm(render_form(repair_form, ticket_data, agent_access))
    browser.fill("address", "北京", 0)
    browser.fill("address", "北京市", 1)
    browser.fill("address", "海淀", 2)
    browser.choose("urgent", [])
    browser.choose("parts", [])
    browser.choose("payment_method", ["bank"])
    browser.choose("rating", ["5"])
    browser.fill("amount", "¥2,000.5")
    browser.fill("fault_category", "noise")
    browser.fill("description", "Rattles when spinning\nsince Monday")
    result = _submit(repair_form, browser, agent_access, ticket_data)
    assert result.errors == {}
    changed = {k: result.cleaned[k] for k in ("address", "urgent", "parts", "payment_method")}
    assert changed == {
        "address": ["北京", "北京市", "海淀"],
        "urgent": False,
        "parts": [],
        "payment_method": "bank",
    }
    assert (result.cleaned["rating"], result.cleaned["amount"]) == (5, Decimal("2000.50"))
    assert result.cleaned["description"] == "Rattles when spinning\nsince Monday"


def test_errors_are_shown_all_at_once_and_typed_values_kept(repair_form, agent_access, ticket_data):
    browser = BrowserForm(render_form(repair_form, ticket_data, agent_access))
    browser.fill("phone", "12345")
    browser.fill("amount", "12.345")
    browser.fill("description", "short")
    browser.fill("address", "", 2)
    browser.fill("customer_name", "")
    result = _submit(repair_form, browser, agent_access, ticket_data)
    assert set(result.errors) == {"phone", "amount", "description", "address", "customer_name"}

    html = render_form(repair_form, result.redisplay, agent_access, result.errors)
    assert 'class="fd-error-summary"' in html and "Please fix 5 problems:" in html
    for path, message in result.errors.items():
        assert f'<p class="fd-error" id="fd-{path}-error">{message}</p>' in html
        assert f'href="#fd-{path}"' in html
    again = BrowserForm(html)
    assert again.named("phone")[0].value == "12345"
    assert again.named("amount")[0].value == "12.345"
    assert again.named("description")[0].value == "short"
    assert [o[0] for c in again.named("address") for o in c.options if o[1]] == ["广东", "深圳"]
    assert 'aria-invalid="true"' in html


def test_read_only_values_are_text_not_inputs(repair_form, ticket_data):
    access = field_access(repair_form, "Task_Settle", ["agents"], may_act=False)
    html = render_form(repair_form, ticket_data, access, submit_label="")
    browser = BrowserForm(html)
    assert [c for c in browser.controls if c.type != "hidden"] == []
    for text in (
        "广东 / 深圳 / 南山",
        "漏水 Leak",
        "leak.jpg (20 KB)",
        "★★★★☆ (4/5)",
        "密封圈 Seal",
        "微信支付 WeChat Pay",
        ">Yes<",
        "¥1,280.00",
    ):
        assert text in html
    assert "<button" not in html


def test_hidden_field_errors_never_name_the_field(repair_form, ticket_data):
    access = field_access(repair_form, "Task_Settle", ["customers"], task_fields={"rating"})
    result = validate_submission(
        repair_form, {"internal_note": "x", "rating": "9"}, access, current=ticket_data
    )
    html = render_form(repair_form, result.redisplay, access, result.errors)
    assert HIDDEN_FIELD_ERROR in html and "Choose a rating from 1 to 5." in html
    assert "internal_note" not in html and "Internal note" not in html


def test_uploaded_files_become_metadata_and_bytes_for_the_caller(repair_form, agent_access):
    files = MultiValueDict({"photos": [SimpleUploadedFile("leak.jpg", JPEG, "image/jpeg")]})
    submission = parse_post(repair_form, {}, files=files)
    result = validate_submission(repair_form, submission, agent_access, current={})
    assert "photos" not in result.errors
    meta = result.cleaned["photos"][0]
    assert meta["name"] == "leak.jpg" and meta["size"] == len(JPEG)
    assert meta["content_type"] == "image/jpeg" and len(meta["sha256"]) == 64
    assert type(meta) is dict  # what goes into ticket data carries no bytes
    assert result.uploads["photos.0"].content == JPEG


@pytest.mark.parametrize(
    "upload,error",
    [
        (
            SimpleUploadedFile("page.png", b"<html><script>", "image/png"),
            "page.png: files of type application/octet-stream are not accepted here.",
        ),
        (
            SimpleUploadedFile("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024), "image/jpeg"),
            "big.jpg is too large (at most 5 MB).",
        ),
        (
            SimpleUploadedFile("doc.pdf", b"%PDF-1.7 ...", "application/pdf"),
            "doc.pdf: files of type application/pdf are not accepted here.",
        ),
    ],
)
def test_uploads_are_checked_by_size_and_by_their_bytes(repair_form, agent_access, upload, error):
    submission = parse_post(repair_form, {}, files=MultiValueDict({"photos": [upload]}))
    result = validate_submission(repair_form, submission, agent_access, current={})
    assert result.errors["photos"] == error
    assert result.uploads == {}


def _all_types_form():
    schema = {
        "type": "object",
        "properties": {
            "contact": {
                "type": "object",
                "title": "Contact",
                "properties": {"name": {"type": "string"}, "mobile": {"type": "string"}},
            },
            "lines": {
                "type": "array",
                "title": "Lines",
                "items": {
                    "type": "object",
                    "properties": {
                        "part": {"type": "string", "title": "Part"},
                        "qty": {"type": "integer", "title": "Qty", "minimum": 1},
                        "warranty": {"type": "boolean", "title": "Under warranty"},
                    },
                },
            },
            "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "title": "Tags"},
            "helpers": {"type": "array", "x-field": "user", "title": "Helpers"},
            "customer": {"x-field": "customer", "title": "Customer"},
            "spare": {"x-field": "part", "title": "Spare part"},
            "due": {"type": "string", "format": "date-time", "title": "Due"},
            "secret": {"type": "string", "title": "Token"},
        },
    }
    ui = {"secret": {"ui:widget": "hidden"}, "lines": {"ui:options": {"blankRows": 2}}}
    files = {"t.schema.json": json.dumps(schema), "t.uischema.json": json.dumps(ui)}
    return load_form(files, "t.schema.json")


def test_groups_lists_pickers_and_multi_selects_round_trip(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    form = _all_types_form()
    access = field_access(form, "T", ["agents"])
    data = {
        "contact": {"name": "王芳", "mobile": "13812341234"},
        "lines": [{"part": "P-100", "qty": 2, "warranty": True}],
        "tags": ["b"],
        "helpers": ["tom"],
        "customer": "C-001",
        "spare": "P-100",
        "due": dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC),
        "secret": "abc",
    }
    html = render_form(form, data, access)
    browser = BrowserForm(html)
    assert browser.unlabelled() == []
    assert 'value="2026-03-01T09:30"' in html  # shown in the user's time zone
    assert [c.name for c in browser.controls if c.name.startswith("lines.")] == [
        f"lines.{i}.{name}"
        for i in range(3)
        for name in ("part", "qty", "warranty", "warranty")  # hidden "false" + the box
    ]
    browser.fill("lines.2.part", "P-300")
    browser.fill("lines.2.qty", "1")
    browser.fill("helpers", "alice", 1)
    browser.choose("tags", [])
    assert 'data-fd-picker="part"' in html and 'data-fd-picker="customer"' in html
    result = validate_submission(
        form, parse_post(form, browser.post()), access, current=data, lookups=LOOKUPS
    )
    assert result.errors == {}
    assert result.cleaned == {
        **data,
        "lines": [
            {"part": "P-100", "qty": 2, "warranty": True},
            {"part": "P-300", "qty": 1, "warranty": False},
        ],  # the untouched blank row (lines.1) is dropped
        "tags": [],
        "helpers": ["tom", "alice"],
    }


def test_render_options(repair_form, agent_access):
    html = render_form(repair_form, {}, agent_access, action="/t/7/complete", csrf_token="tok123")
    assert html.startswith('<form class="fd-form" method="post" action="/t/7/complete"')
    assert 'enctype="multipart/form-data"' in html
    assert '<input type="hidden" name="csrfmiddlewaretoken" value="tok123">' in html
    assert ">Save</button>" in html  # the UI schema's submitText
    assert ">Send</button>" in render_form(repair_form, {}, agent_access, submit_label="Send")


def test_values_are_escaped(repair_form, agent_access):
    html = render_form(repair_form, {"customer_name": '"><script>alert(1)</script>'}, agent_access)
    assert "<script>alert(1)" not in html
    assert "&quot;&gt;&lt;script&gt;" in html


def test_datetimes_are_shown_in_the_users_time_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    form = _all_types_form()
    stored = {"due": "2026-03-01T01:30:00+00:00"}  # as JSON-stored data has it
    editable = render_form(form, stored, field_access(form, "T", ["agents"]))
    assert 'name="due" value="2026-03-01T09:30"' in editable
    readonly = render_form(form, stored, field_access(form, "T", ["agents"], may_act=False))
    assert ">March 1, 2026, 9:30 a.m.<" in readonly  # in the user's zone and language
    typed = render_form(form, {"due": "next friday"}, field_access(form, "T", ["agents"]))
    assert 'value="next friday"' in typed


def test_parse_post_reads_plain_dicts_too(repair_form, agent_access):
    post = {"customer_name": "王芳", "address": ["广东", "深圳", "南山", ""], "urgent": "on"}
    files = {"photos": SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n....", "image/png")}
    submission = parse_post(repair_form, post, files=files)
    assert submission["address"] == ["广东", "深圳", "南山"]
    assert submission["photos"][0]["content_type"] == "image/png"
    result = validate_submission(repair_form, submission, agent_access, current={})
    assert result.cleaned["urgent"] is True and set(result.uploads) == {"photos.0"}
