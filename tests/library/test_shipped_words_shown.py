"""What a Chinese reader reads of the demo that `make run` loads: the settlement of the
settled demo ticket and a version's scenario tests, in Chinese, and nothing of them in
English (test_shipped_names holds the shipped files to both languages; these read pages)."""

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from pricing.models import Settlement
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def _page(username: str, path: str, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.get(username=username))
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def _settlement_items(page: str) -> list[str]:
    """The first cell of each line of the ticket page's settlement: what the line is for."""
    [section] = re.findall(r'<section class="fd-card fd-settlement">.*?</section>', page, re.S)
    return re.findall(r'<tr class="fd-line-\w+"><td>([^<]*)</td>', section)


def test_the_settled_demo_ticket_lists_its_settlement_in_the_readers_language():
    call_command("load_demo", stdout=io.StringIO())
    settlement = Settlement.objects.get()  # the equipment template's chiller, quoted
    kinds = set(settlement.lines.values_list("kind", flat=True))
    assert {"service", "labour", "part", "discount"} <= kinds
    path = f"/tickets/{settlement.ticket_id}/"

    chinese = _settlement_items(_page("bob", path, "zh-hans"))
    assert len(chinese) == settlement.lines.count()
    assert [item for item in chinese if not CJK.search(item) or ENGLISH_WORD.search(item)] == []
    assert "人工" in chinese and "会员等级折扣（10%）" in chinese

    english = _settlement_items(_page("bob", path, "en"))
    assert [item for item in english if CJK.search(item)] == []
    assert "Labour" in english and "Customer tier discount (10%)" in english

    # the printed statement is written in both, each line too
    statement = _page("carol", f"/pricing/statements/{settlement.ticket_id}/", "zh-hans")
    assert "人工 Labour" in statement and "会员等级折扣（10%） Customer tier discount (10%)" in (
        statement
    )


def test_a_versions_scenario_tests_read_by_their_titles_in_the_readers_language():
    call_command("load_demo", stdout=io.StringIO())
    page = _page("dave", "/processes/repair/v1/", "zh-hans")
    [listed] = re.findall(r'<section class="fd-card" id="scenarios">.*?<ul>(.*?)</ul>', page, re.S)
    cases = re.findall(r"<li>([^<]*)</li>", listed)
    assert "VIP 空调维修，需要备件" in cases and len(cases) == 3
    english = [case for case in cases if ENGLISH_WORD.search(case.replace("VIP", ""))]
    assert english == [] and all(CJK.search(case) for case in cases)


def test_what_a_decision_wrote_reads_by_its_label_on_the_page_and_the_timeline():
    call_command("load_demo", stdout=io.StringIO())
    ticket = Ticket.objects.get(title="冷库压缩机停机（VIP）")  # the equipment template's VIP
    chinese = _page("bob", f"/tickets/{ticket.number}/", "zh-hans")
    english = _page("bob", f"/tickets/{ticket.number}/", "en")
    assert ticket.data["dispatcher_group"] == "key_account_dispatchers"
    # in the data and under the timeline's decision line
    assert chinese.count("<dt>调度组</dt><dd>大客户调度</dd>") == 2
    assert english.count("<dd>Key account dispatchers</dd>") == 2
    assert "key_account_dispatchers" not in chinese + english
