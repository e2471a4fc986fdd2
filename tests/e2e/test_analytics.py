"""The dashboard's charts in a real browser (Debian's Chromium via playwright-core)."""

import shutil

import pytest

from tests.conftest import ROOT
from tests.e2e.browser import run_script

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_draws_its_charts_under_the_csp(cast, repair, live_server):
    from tests.analytics.history import build

    build(repair, cast)
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail(
            "browser tests need Debian's chromium and npm's playwright-core: run `make browser`"
        )
    result = run_script("analytics.mjs", live_server, RANGE="from=2026-11-20&to=2026-11-24")
    assert result["errors"] == []
    assert set(result["charts"]) == {"trend", "csat", "agent", "nodes"}
    assert result["trendPoints"] == [1, 0, 0, 1, 1]  # created per day, as in the table
    assert result["phoneOverflows"] is False
