"""Forms that don't mislead: a required checkbox must be ticked, options show their labels
(in the reader's language), titles come in both languages, and an address is a real place."""

import json

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from forms.decisions import decision_for
from forms.render import parse_post, render_form
from forms.schema import load_form
from forms.validation import validate_submission
from tests.conftest import PROCESSES, repair_start
from tickets import actions
from tickets.models import HumanTask


def _form(schema: dict, ui: dict | None = None):
    files = {"f.schema.json": json.dumps(schema)}
    if ui is not None:
        files["f.uischema.json"] = json.dumps(ui)
    return load_form(files, "f.schema.json")


def _shipped(name: str):
    folder = PROCESSES / "forms"
    files = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.json")}
    return load_form(files, name)


def _editable(form) -> dict:
    return {path: "editable" for path in form.by_path}


# ---------------------------------------------------------------- the required checkbox


@pytest.mark.django_db
def test_an_unticked_accept_box_does_not_move_the_repair_ticket_on(cast, repair):
    alice = Client()
    alice.force_login(cast["alice"])
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    accept = HumanTask.objects.get(ticket=ticket, bpmn_id="accept")
    page = alice.get(f"/tasks/{accept.id}/").content.decode()
    assert 'type="checkbox" id="fd-accepted" name="accepted" value="true" required' in page

    # the browser posts only the hidden "false" of an unticked box
    refused = alice.post(f"/tasks/{accept.id}/", {"accepted": "false", "note": "later"})
    assert refused.status_code == 422
    assert "Tick this box to go on." in refused.content.decode()
    with pytest.raises(actions.InvalidSubmission) as error:  # the API and actions alike
        actions.do_complete_task(cast["alice"], accept.id, {"accepted": False})
    assert error.value.errors == {"accepted": "Tick this box to go on."}
    with pytest.raises(actions.InvalidSubmission):
        actions.do_complete_task(cast["alice"], accept.id, {"note": "no box at all"})
    accept.refresh_from_db()
    assert accept.state in actions.OPEN_STATES  # still waiting to be accepted

    done = alice.post(f"/tasks/{accept.id}/", {"accepted": ["false", "true"]})
    assert done.status_code == 302
    assert HumanTask.objects.filter(ticket=ticket, bpmn_id="schedule_visit").exists()


def test_const_true_is_a_box_to_tick_and_an_optional_box_may_stay_empty():
    form = _form(
        {
            "type": "object",
            "properties": {
                "terms": {"type": "boolean", "const": True, "title": "I agree"},
                "newsletter": {"type": "boolean", "title": "Send me news"},
            },
        }
    )
    result = validate_submission(form, {"terms": "false", "newsletter": "false"}, _editable(form))
    assert result.errors == {"terms": "Tick this box to go on."}
    result = validate_submission(form, {"terms": True, "newsletter": "false"}, _editable(form))
    assert result.ok and result.cleaned == {"terms": True, "newsletter": False}


def test_a_yes_no_question_is_a_choice_where_no_is_an_answer():
    diagnose = _shipped("repair-diagnose.schema.json")
    access = _editable(diagnose)
    answered = validate_submission(diagnose, {"needs_parts": "false", "labor_hours": "1"}, access)
    assert answered.ok and answered.cleaned["needs_parts"] is False
    unanswered = validate_submission(diagnose, {"labor_hours": "1"}, access)
    assert unanswered.errors == {"needs_parts": "This field is required."}
    html = render_form(diagnose, {}, access)
    assert 'type="radio"' in html and "No parts needed" in html and 'type="checkbox"' not in html


# ---------------------------------------------------------------- labels, two languages


def test_options_show_their_labels_in_selects_and_read_only_text():
    start = _shipped("repair-start.schema.json")
    data = {"region": "tier1", "category": "tv", "customer_tier": "gold"}
    editable = render_form(start, data, _editable(start))
    assert '<option value="tier1" selected>Tier-1 city</option>' in editable
    assert '<option value="gold" selected>Gold</option>' in editable
    readonly = render_form(start, data, {p: "readonly" for p in start.by_path}, submit_label="")
    assert ">Tier-1 city<" in readonly and ">TV<" in readonly and "tier1" not in readonly
    with translation.override("zh-hans"):
        chinese = render_form(start, data, {p: "readonly" for p in start.by_path})
    assert ">一线城市<" in chinese and ">电视<" in chinese and ">金卡<" in chinese


def test_titles_follow_the_active_language_from_one_cached_form():
    start = _shipped("repair-start.schema.json")  # parsed once, read in two languages
    english = render_form(start, {}, _editable(start))
    with translation.override("zh-hans"):
        chinese = render_form(start, {}, _editable(start))
    assert "New repair ticket" in english and ">Customer name<" in english
    assert ">Raise the ticket<" in english and ">Province<" in english
    assert "新建维修工单" in chinese and ">客户姓名<" in chinese and ">服务地址<" in chinese
    assert ">提交工单<" in chinese and ">省份<" in chinese and "Customer name" not in chinese
    assert '<option value="standard" selected>Standard</option>' in english  # the default
    with translation.override("zh-hans"):  # language codes match by their first part too
        form = _form({"type": "object", "title": "T", "x-i18n": {"zh-CN": {"title": "表"}}})
        assert form.title == "表"
    assert form.title == "T"


def test_messages_are_in_the_readers_language():
    start = _shipped("repair-start.schema.json")
    with translation.override("zh-hans"):
        result = validate_submission(start, {"customer_phone": "call me"}, _editable(start))
        html = render_form(start, result.redisplay, _editable(start), result.errors)
    assert result.errors["customer_name"] == "此项为必填项。"
    assert "请修正以下 4 个问题" in html and "客户姓名: 此项为必填项。" in html


# ---------------------------------------------------------------- the address field

ADDRESS = {"type": "object", "required": ["at"], "properties": {"at": {"x-field": "address"}}}


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ({"province": "浙江省", "city": "广州市", "district": "天河区", "street": "1 号"},
         "广州市 is not a city of 浙江省."),
        ({"province": "广东省", "city": "广州市", "district": "西湖区", "street": "1 号"},
         "西湖区 is not a district of 广州市."),
        ({"province": "广东省", "city": "广州市", "street": "1 号"}, "Choose a district of 广州市."),
        ({"province": "广东省", "district": "天河区", "street": "1 号"}, "Choose a city of 广东省."),
        ({"city": "广州市", "street": "1 号"}, "Choose a province."),
        ({"province": "广东省", "city": "广州市", "district": "天河区"},
         "Enter the street and number."),
        ({"province": "Atlantis", "city": "x", "street": "1"}, "Atlantis is not a province."),
        ({"province": "广东省", "city": "广州市", "district": "天河区", "street": "1", "zip": "1"},
         "An address has no part called zip."),
        ("广东省广州市", "Enter an address as province, city, district and street."),
    ],
)  # fmt: skip
def test_an_address_that_is_not_a_place_is_refused_with_the_reason(address, message):
    form = _form(ADDRESS)
    assert validate_submission(form, {"at": address}, _editable(form)).errors == {"at": message}


def test_a_good_address_is_kept_part_by_part_and_reads_as_one_line():
    form = _form(ADDRESS)
    post = {"at.province": "北京市", "at.city": "北京市", "at.district": "朝阳区",
            "at.street": " 建国路 88 号 "}  # fmt: skip
    result = validate_submission(form, parse_post(form, post), _editable(form))
    assert result.cleaned == {
        "at": {
            "province": "北京市",
            "city": "北京市",
            "district": "朝阳区",
            "street": "建国路 88 号",
        }
    }
    readonly = render_form(form, result.cleaned, {"at": "readonly"})
    assert ">北京市 朝阳区 建国路 88 号<" in readonly
    nothing = validate_submission(form, parse_post(form, {"at.street": ""}), _editable(form))
    assert nothing.errors == {"at": "This field is required."}
    with translation.override("zh-hans"):
        wrong = {"province": "浙江省", "city": "广州市", "district": "天河区", "street": "1"}
        chinese = validate_submission(form, {"at": wrong}, _editable(form))
    assert chinese.errors == {"at": "广州市 不属于浙江省。"}


def test_the_address_selects_list_the_places_of_what_was_chosen():
    form = _form(ADDRESS)
    html = render_form(form, {"at": {"province": "广东省", "city": "广州市"}}, _editable(form))
    assert '<option value="广东省" selected>Guangdong 广东省</option>' in html
    assert '<option value="深圳市">' in html and '<option value="杭州市">' not in html
    assert '<option value="天河区">' in html and 'name="at.street"' in html
    assert "dist/address.js" in html and "forms/regions-cn.json" in html
    fresh = render_form(form, {}, _editable(form))
    assert '<optgroup label="Zhejiang 浙江省">' in fresh  # every city, grouped, before a choice
    with translation.override("zh-hans"):
        chinese = render_form(form, {}, _editable(form))
    assert '<option value="广东省">广东省</option>' in chinese


# ---------------------------------------------------------------- one way to decide


def test_a_step_decided_by_buttons_does_not_ask_for_the_decision_twice():
    approve = _shipped("repair-approve.schema.json")
    access = _editable(approve)
    actions_ = {"reject": "/tasks/9/operations/reject/"}
    decision = decision_for(approve, ["claim", "approve", "reject"], {}, actions_)
    html = render_form(approve, {}, access, decision=decision)
    assert 'type="radio"' not in html and html.count('name="approved"') == 2
    assert (
        '<button type="submit" name="approved" value="true" class="fd-decide-approve fd-submit">Approve</button>'
        in html
    )
    assert 'value="false" formaction="/tasks/9/operations/reject/"' in html and ">Reject<" in html
    assert ">Submit<" not in html and 'name="comment"' in html
    # pressing Reject posts the comment with approved=false: an ordinary, valid completion
    posted = parse_post(approve, {"comment": "too dear", "approved": "false"})
    result = validate_submission(approve, posted, access)
    assert result.ok and result.cleaned == {"approved": False, "comment": "too dear"}
    with translation.override("zh-hans"):
        assert ">驳回<" in render_form(approve, {}, access, decision=decision)
    # who may only approve gets only that button; a step without the operations keeps its form
    only = render_form(approve, {}, access, decision=decision_for(approve, ["approve"]))
    assert ">Approve<" in only and ">Reject<" not in only
    assert decision_for(approve, ["claim", "comment"]) is None
    unanswered = validate_submission(approve, {"comment": "?"}, access)
    summary = render_form(approve, {}, access, unanswered.errors, decision=decision)
    assert "Decision: This field is required." in summary  # named by its title, not "approved"


def test_the_decision_variable_comes_from_the_step():
    form = _form({"type": "object", "properties": {"ok": {"type": "boolean", "title": "OK?"}}})
    decision = decision_for(form, ["approve", "reject"], {"approvalVariable": "ok"})
    assert decision.field == "ok"
    assert [(b.value, str(b.label)) for b in decision.buttons] == [
        ("true", "Approve"),
        ("false", "Reject"),
    ]


# ---------------------------------------------------------------- localised values


def test_money_and_dates_read_in_the_readers_language():
    form = _form(
        {
            "type": "object",
            "properties": {
                "fee": {"type": "string", "x-field": "money", "title": "Fee"},
                "usd": {"type": "string", "x-field": "money", "x-currency": "usd", "title": "$"},
                "day": {"type": "string", "format": "date", "title": "Day"},
            },
        }
    )
    data = {"fee": "12800.5", "usd": "-3", "day": "2026-11-24"}
    readonly = {"fee": "readonly", "usd": "readonly", "day": "readonly"}
    english = render_form(form, data, readonly)
    with translation.override("zh-hans"):
        chinese = render_form(form, data, readonly)
    assert ">¥12,800.50<" in english and ">-$3.00<" in english and ">Nov. 24, 2026<" in english
    assert ">¥12,800.50<" in chinese and ">2026年11月24日<" in chinese
    page = Template("{% load formatting %}{{ a|money }} {{ b|money:'EUR' }} {{ c|money }}")
    assert page.render(Context({"a": "1234.5", "b": 2, "c": None})) == "¥1,234.50 €2.00 "
