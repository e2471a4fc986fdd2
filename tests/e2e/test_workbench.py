"""A real browser (Debian's Chromium via playwright-core) through the workbench pages."""

import shutil

import pytest

from tests.conftest import ROOT
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_agent_raises_a_vip_ticket_and_accepts_it_in_chromium(cast, live_server):
    from tests.conftest import deploy_file

    deploy_file(ROOT / "processes" / "repair.bpmn")
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail(
            "browser tests need Debian's chromium and npm's playwright-core: run `make browser`"
        )
    result = run_script("workbench.mjs", live_server)
    assert result["number"].startswith("SV-")
    assert result["ticketPriority"] == "VIP"  # the triage table decided the priority
    assert "Please fix" in result["errorSummary"] and result["keptName"] == "Wang Fang"
    assert result["openSteps"] == 1
    assert (ROOT / "var" / "e2e" / "ticket.png").stat().st_size > 10_000
