"""The customer portal in a real browser at 375 px, in Chinese and English."""

import shutil

import pytest

from tests.conftest import ROOT
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_portal_at_375_px_in_chinese_and_english(cast, live_server, settings, tmp_path):
    from intake.actions import WebformSubmission, do_submit_webform
    from tests.conftest import deploy_file
    from tickets import actions, operations
    from tickets.models import HumanTask, Ticket

    settings.MEDIA_ROOT = str(tmp_path / "media")
    deploy_file(ROOT / "processes" / "follow_up.bpmn")
    deploy_file(ROOT / "processes" / "inquiry.bpmn")
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail(
            "browser tests need Debian's chromium and npm's playwright-core: run `make browser`"
        )
    ticket = do_submit_webform(
        "inquiry",
        WebformSubmission("韩梅梅", "13900001111", "meimei@example.cn", "冰箱漏水", "冰箱漏水"),
        {},
        channel=Ticket.Channel.H5,
    )
    operations.do_post_message(
        cast["alice"], ticket.id, "您好，请问冰箱是什么型号？\nWhich model is it?", public=True
    )
    operations.do_post_message(cast["alice"], ticket.id, "INTERNAL only", public=False)
    task = HumanTask.objects.get(ticket=ticket, state__in=actions.OPEN_STATES)
    actions.do_complete_task(cast["bob"], task.id, {"answer": "请更换密封条。", "resolved": True})

    shots = ROOT / "var" / "e2e"
    result = run_script(
        "portal.mjs", live_server, TRACK=f"/t/{ticket.tracking_token}/", SHOTS=str(shots)
    )
    assert result["statusZh"] == "已解决" and result["statusEn"] == "Resolved"
    assert "还是有点漏水" in result["lastMessage"] and "leak.png" in result["lastMessage"]
    assert result["overflowZh"] <= 0 and result["overflowEn"] <= 0  # nothing wider than 375 px
    assert ticket.messages.filter(author_kind="customer").get().attachments.count() == 1
    assert (shots / "portal-375-zh.png").stat().st_size > 10_000
