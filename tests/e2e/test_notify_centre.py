"""The notification centre in Chromium: the bell's count rises live over the event stream
(no inline script: the site's CSP allows none) and "Mark all read" clears it."""

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_bell_counts_live_and_the_centre_marks_read(cast, live_server, settings):
    from notify.actions import do_notify
    from notify.delivery import deliver_pending

    settings.FLOWDESK_SSE_POLL_S = 0.3
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("browser tests need Debian's chromium and npm's playwright-core")
    browser = subprocess.Popen(
        ["node", str(ROOT / "tests" / "e2e" / "notify.mjs")],
        env={**os.environ, "BASE_URL": live_server.url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert browser.stdout.readline().strip() == "ready", browser.stderr.read()[-3000:]
        do_notify("assigned", ticket_id=1, users=[cast["alice"]], channels=["inapp"],
                  subject="[SV-2026-000001] 新的待办：检测", body="")  # fmt: skip
        deliver_pending()
        out, err = browser.communicate(timeout=60)
    finally:
        if browser.poll() is None:
            browser.kill()
    assert browser.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["before"] == "0" and result["live"].strip() == "1" and result["banner"]
    assert result["listed"] == 1
    assert result["after"] == "0" and result["afterHidden"]
    assert result["errors"] == []  # no CSP violation, no script error
