"""`make bench` prints the JSON report (run here with two tickets; figures are not judged)."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def test_bench_prints_the_engine_report():
    env = {**os.environ, "BENCH_TICKETS": "2"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "engine.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    engine = report["engine"]
    assert engine["raw_ms"] > 0 and engine["platform_ms"] > 0
    assert abs(engine["ratio"] - engine["platform_ms"] / engine["raw_ms"]) < 0.05 * engine["ratio"]
    assert engine["database"] in {"sqlite", "postgresql"}
    assert engine["state"]["by_reference_bytes"] < engine["state"]["spiff_embedded_bytes"]
    assert report["dmn"]["table_20_rules_ms"] < 0.1
