"""Chinese and English in a real browser (Debian's Chromium via playwright-core): the
language follows the browser until a person chooses, the choice sticks, and the address
field narrows province, city and district on a 375 px phone screen."""

import shutil

import pytest

from tests.conftest import ROOT
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_chinese_by_the_browser_english_by_choice_and_an_address_on_a_phone(cast, live_server):
    from tests.conftest import deploy_file
    from tickets.models import Ticket

    deploy_file(ROOT / "processes" / "repair.bpmn")
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("browser tests need Debian's chromium and npm's playwright-core: make browser")
    if not (ROOT / "web" / "static" / "dist" / "address.js").exists():
        pytest.fail("the browser code is not built: run `make install` (node web/build.mjs)")
    result = run_script("i18n.mjs", live_server)
    assert result["errors"] == []
    assert result["loginLang"] == "zh-hans" and result["loginTitle"] == "登录"
    assert result["worklistNav"] == "我的工作"
    assert result["loginAxe"] == [] and result["worklistAxe"] == []
    assert result["switchedUrl"] == "/tasks/" and result["switchedNav"] == "My work"
    assert result["otherPageTitle"].startswith("Notifications") and result["otherPageLang"] == "en"
    assert result["nextLoginNav"] == "My work"  # the profile beats the Chinese browser

    assert result["formTitle"] == "新建维修工单" and result["addressLegend"] == "服务地址"
    assert "广州市" in result["cities"] and "深圳市" in result["cities"]
    assert "杭州市" not in result["cities"]  # only Guangdong's cities once it is chosen
    assert "天河区" in result["districts"] and "福田区" not in result["districts"]
    assert result["categoryLabel"] == "冰箱"
    assert result["formOverflows"] is False and result["formAxe"] == []
    assert result["raisedUrl"].startswith("/tickets/SV-")
    ticket = Ticket.objects.get()
    assert ticket.data["service_address"] == {
        "province": "广东省",
        "city": "广州市",
        "district": "天河区",
        "street": "天河路 385 号",
    }
    assert (ROOT / "var" / "e2e" / "i18n-new-ticket-address-375.png").stat().st_size > 10_000
