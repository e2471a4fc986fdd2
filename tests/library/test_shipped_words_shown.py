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


@pytest.fixture(scope="module", autouse=True)
def demo(module_transaction, django_db_blocker):
    """The demo, loaded once for the module: each test reads it in a savepoint of its own."""
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=io.StringIO())


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
    page = _page("dave", "/processes/repair/v1/", "zh-hans")
    [listed] = re.findall(r'<section class="fd-card" id="scenarios">.*?<ul>(.*?)</ul>', page, re.S)
    cases = re.findall(r"<li>([^<]*)</li>", listed)
    assert "VIP 空调维修，需要备件" in cases and len(cases) == 3
    english = [case for case in cases if ENGLISH_WORD.search(case.replace("VIP", ""))]
    assert english == [] and all(CJK.search(case) for case in cases)


def test_what_a_decision_wrote_reads_by_its_label_on_the_page_and_the_timeline():
    ticket = Ticket.objects.get(title="冷库压缩机停机（VIP）")  # the equipment template's VIP
    chinese = _page("bob", f"/tickets/{ticket.number}/", "zh-hans")
    english = _page("bob", f"/tickets/{ticket.number}/", "en")
    assert ticket.data["dispatcher_group"] == "key_account_dispatchers"
    # in the data and under the timeline's decision line
    assert chinese.count("<dt>调度组</dt><dd>大客户调度</dd>") == 2
    assert english.count("<dd>Key account dispatchers</dd>") == 2
    assert "key_account_dispatchers" not in chinese + english


def test_what_a_script_wrote_reads_by_its_title_and_label():
    labels = {"refund": "退款", "exchange": "换货"}
    returns = Ticket.objects.filter(process_version__key="returns", data__has_key="resolution")
    assert {t.data["resolution"] for t in returns} == {"refund", "exchange"}
    for ticket in returns:
        page = _page("bob", f"/tickets/{ticket.number}/", "zh-hans")
        assert f"<dt>处理方式</dt><dd>{labels[ticket.data['resolution']]}</dd>" in page
        assert "<dt>退款金额</dt>" in page and "<dt>Resolution" not in page
    [chiller] = Ticket.objects.filter(title="冷库压缩机停机（VIP）")
    page = _page("bob", f"/tickets/{chiller.number}/", "zh-hans")
    assert "<dt>计费工时</dt>" in page and "<dt>上门次数</dt>" in page
    assert "Billed hours" not in page and "Visit count" not in page


def test_every_staff_group_of_the_demo_reads_in_chinese():
    """Queues, transfers and a decision's group outputs name groups through group_name."""
    from django.contrib.auth.models import Group
    from django.utils import translation

    from definitions.element_names import group_name

    names = sorted(Group.objects.values_list("name", flat=True))
    assert "key_account_dispatchers" in names
    with translation.override("zh-hans"):
        assert [n for n in names if not CJK.search(group_name(n))] == []
