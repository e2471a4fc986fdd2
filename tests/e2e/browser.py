"""Running a browser script (tests/e2e/*.mjs) against the live server: the scripts print
one JSON line of findings last, which comes back as a dict."""

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT


def run_script(name, live_server, timeout=240, **env):
    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("browser tests need Debian's chromium and npm's playwright-core")
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "e2e" / name)],
        env={**os.environ, "BASE_URL": live_server.url, "SHOTS": str(ROOT / "var" / "e2e"), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
