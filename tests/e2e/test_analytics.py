"""The dashboard's charts in a real browser (Debian's Chromium via playwright-core)."""

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_draws_its_charts_under_the_csp(cast, repair, live_server):
    from tests.analytics.history import build

    build(repair, cast)
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail(
            "browser tests need Debian's chromium and npm's playwright-core: run `make browser`"
        )
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "e2e" / "analytics.mjs")],
        env={
            **os.environ,
            "BASE_URL": live_server.url,
            "RANGE": "from=2026-11-20&to=2026-11-24",
            "SHOTS": str(ROOT / "var" / "e2e"),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == []
    assert set(result["charts"]) == {"trend", "csat", "agent", "nodes"}
    assert result["trendPoints"] == [1, 0, 0, 1, 1]  # created per day, as in the table
    assert result["phoneOverflows"] is False
