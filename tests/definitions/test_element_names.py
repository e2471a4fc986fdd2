"""Element names in the reader's language, read from the real repair bundle: the bracketed
Chinese of a bilingual name, a form's translated title for a step named in English only,
the staff group of a lane. The stored BPMN keeps every name as written."""

import pytest
from django.test import Client
from django.utils import translation

from definitions.deploy import deploy_bundle
from definitions.element_names import element_labels, group_name, local_name
from tests.conftest import PROCESSES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "english", "chinese"),
    [
        ("Answer the customer (答复)", "Answer the customer", "答复"),
        ("Book（预约）", "Book", "预约"),
        (
            "Auto repair (汽车维修): diagnose, quote, settlement",
            "Auto repair: diagnose, quote, settlement",
            "汽车维修",
        ),
        ("故障诊断 Diagnose", "Diagnose", "故障诊断"),
        ("上门费（市区） Call-out (city)", "Call-out (city)", "上门费（市区）"),
        ("客户同意? Approved?", "Approved?", "客户同意?"),
        ("准备派工单 A blank visit sheet", "A blank visit sheet", "准备派工单"),
        # a model number in brackets stays with the Chinese; outside them it is no pair
        ("蓄电池（60 Ah） Battery 60 Ah", "Battery 60 Ah", "蓄电池（60 Ah）"),
        ("压缩机 5 HP Compressor", "压缩机 5 HP Compressor", "压缩机 5 HP Compressor"),
        ("传动皮带 A42 Drive belt", "传动皮带 A42 Drive belt", "传动皮带 A42 Drive belt"),
        ("服务顾问 Service advisors (agents)", "Service advisors (agents)", "服务顾问"),
        ("Triage (priority, SLA)", "Triage (priority, SLA)", "Triage (priority, SLA)"),
        ("空调不制冷", "空调不制冷", "空调不制冷"),
        ("Parts needed?", "Parts needed?", "Parts needed?"),
        ("", "", ""),
    ],
)
def test_a_stored_name_in_each_language(name, english, chinese):
    with translation.override("en"):
        assert local_name(name) == english
    with translation.override("zh-hans"):
        assert local_name(name) == chinese


def test_groups_read_as_people_say_them():
    with translation.override("zh-hans"):
        assert group_name("technicians") == "技术员" and group_name("night_shift") == "night_shift"
    with translation.override("en"):
        assert group_name("store_managers") == "Store managers"


def test_a_version_labels_its_steps_lanes_and_pool(repair):
    with translation.override("zh-hans"):
        zh = element_labels(repair)
    with translation.override("en"):
        en = element_labels(repair)
    assert (zh["accept"], zh["Lane_technicians"], zh["Participant_repair"]) == (
        "受理",
        "技术员",
        "上门维修",
    )
    assert (en["accept"], en["Lane_technicians"], en["Participant_repair"]) == (
        "Accept ticket",
        "Technicians",
        "Home appliance repair",
    )
    assert (zh["needs_parts"], en["needs_parts"]) == ("需要备件？", "Parts needed?")  # a gateway
    assert 'name="Accept ticket (受理)"' in repair.bpmn_xml  # the stored file unchanged


def test_a_step_named_in_english_only_takes_its_form_title(repair):
    text = (PROCESSES / "repair.bpmn").read_text().replace("Accept ticket (受理)", "Accept")
    v2, created = deploy_bundle("repair.bpmn", text, repair.files)
    assert created
    with translation.override("zh-hans"):
        assert element_labels(v2)["accept"] == "受理工单"  # repair-accept.schema.json's x-i18n
    with translation.override("en"):
        assert element_labels(v2)["accept"] == "Accept"


def test_the_version_page_names_things_in_chinese(cast, repair):
    client = Client()
    client.force_login(cast["dave"])
    page = client.get("/processes/repair/v1/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<h1>上门维修 <small>" in page
    assert "受理工单" in page and "使用节点： 受理" in page  # form title and its step
    assert '"accept": "\\u53d7\\u7406"' in page  # the diagram's labels ("受理") as JSON
    assert "Accept ticket" not in page
