"""`make bench` prints the JSON report (run here at toy sizes; figures are not judged).

On PostgreSQL every section runs: the API through a real gunicorn worker, reads over bulk
rows, the timer sweep; on SQLite only the engine section, with a note on what was skipped.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

TOY_SIZES = {
    "BENCH_TICKETS": "2",
    "BENCH_API_SECONDS": "2",
    "BENCH_API_WARMUP_S": "0.5",
    "BENCH_API_MIN_LIFECYCLES": "2",  # the window grows on a loaded machine, never empty
    "BENCH_OPEN_TICKETS": "400",
    "BENCH_READ_REPEATS": "3",
    "BENCH_TIMERS": "20",
    "BENCH_FANOUT_TASKS": "20",
    "BENCH_ANALYTICS_TICKETS": "500",
    "BENCH_ANALYTICS_DAYS": "5",
    "BENCH_ANALYTICS_REPEATS": "1",
    "BENCH_QUOTES": "5",
    "BENCH_SIMULATE_CASES": "40",
    "BENCH_BOOKINGS": "20",
    "BENCH_BOOKING_CLIENTS": "3",
    "BENCH_DB": f"flowdesk_bench_smoke_{os.getpid()}",
}


def test_bench_prints_the_report(tmp_path):
    written = tmp_path / "report.json"  # not bench/report.json: toy figures
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "engine.py")],
        capture_output=True,
        text=True,
        env={**os.environ, **TOY_SIZES, "BENCH_REPORT": str(written)},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert json.loads(written.read_text()) == report
    assert report["machine"]["python_loop_5m_ms"] > 0
    engine = report["engine"]
    assert engine["raw_ms"] > 0 and engine["platform_ms"] > 0
    assert abs(engine["ratio"] - engine["platform_ms"] / engine["raw_ms"]) < 0.05 * engine["ratio"]
    assert engine["database"] in {"sqlite", "postgresql"}
    assert engine["cpu"]["raw_ms"] > 0 and engine["cpu"]["platform_ms"] > 0
    assert engine["queries_per_ticket"] > 7  # a start and six completions, at least
    assert engine["state"]["by_reference_bytes"] < engine["state"]["spiff_embedded_bytes"]
    assert report["dmn"]["table_20_rules_ms"] < 0.1
    fanout = report["notify"]  # notify.fanout_ms: 6 outbox rows per completed task
    assert fanout["tasks"] == 20 and fanout["outbox_rows"] == 120 and fanout["fanout_ms"] > 0
    pricing = report["pricing"]  # pricing.quote_ms: a 23-dimension quote through pricing.settle
    assert pricing["quotes"] == 5 and pricing["quote_ms"] > 0 and pricing["dimensions"] == 23
    assert pricing["quote_total"] == "2844.86" and pricing["quote_lines"] > 10
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert "PostgreSQL only" in report["skipped"] and "api" not in report
        return
    # seven durable steps with no engine: less than the platform's, more than nothing
    assert 0 < engine["floor_ms"] < engine["platform_ms"]
    assert 1 < engine["floor_ratio"] < engine["ratio"]
    # the server runs here: its CPU per ticket is read from /proc (10 ms ticks: >= 0)
    assert engine["cpu"]["platform_db_ms"] >= 0 and engine["cpu"]["floor_db_ms"] >= 0
    api = report["api"]
    assert api["lifecycles"] >= 2 * api["clients"] and api["window_s"] >= 2
    rate = api["lifecycles"] / api["window_s"]
    assert abs(api["lifecycles_per_s"] - rate) <= 0.1 + 0.01 * rate
    assert 0 < api["start_p50_ms"] <= api["p95_ms"]
    assert report["worklist"]["open_tickets"] == 400
    assert report["worklist"]["p95_ms"] > 0 and report["search"]["p95_ms"] > 0
    assert report["worklist"]["plans"]["mine"]["execution_ms"] >= 0
    timers = report["timers"]
    assert timers["tickets"] == timers["fired"] == 20 and timers["sweep_s"] > 0
    analytics = report["analytics"]
    assert analytics["tickets"] == 500 and analytics["rollup_days"] == 7
    assert analytics["rollup_rows"] > 0 and analytics["dashboard_ms"] > 0
    # the impact of a changed urgent surcharge on 40 copied settlements, half of them urgent
    assert pricing["simulated"] == 40 and pricing["changed"] == 20 and pricing["simulate_s"] > 0
    booking = report["appointments"]  # every client races for the same 20 slots
    assert booking["booked"] == 20 and booking["taken"] == 40 and booking["double_booked"] == 0
    assert 0 < booking["book_p50_ms"] <= booking["book_p95_ms"]


def test_bench_sections_pricing_runs_the_pricing_figures_only(tmp_path):
    written = tmp_path / "report.json"
    sizes = {**TOY_SIZES, "BENCH_DB": f"flowdesk_bench_pricing_{os.getpid()}"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "engine.py")],
        capture_output=True,
        text=True,
        env={**os.environ, **sizes, "BENCH_SECTIONS": "pricing", "BENCH_REPORT": str(written)},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert list(report) == ["machine", "pricing"] and report["pricing"]["quote_ms"] > 0
