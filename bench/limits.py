"""Resource-limit benchmark: what the sandbox costs a normal script or expression, and how
long each bomb of the security review runs before it is stopped.

No database: the fixture models (tests/fixtures/limits_*.bpmn) run through bpmn.runtime.
Limits: FLOWDESK_SCRIPT_TIMEOUT_S=1, 64 MB, 200 ms (set below). Prints a JSON report.
"""

import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowdesk.settings")

import django  # noqa: E402

django.setup()

from bpmn import limits, runtime, script_pool  # noqa: E402
from bpmn.sandbox import ExpressionError, ScriptError, evaluate_expression, run_script  # noqa: E402
from bpmn.specs import compile_bundle  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
SCRIPT_KINDS = ["cpu", "loop", "sleep", "list", "text", "padding", "power", "regex"]
EXPRESSION_BOMBS = {
    "cpu": "sum(range(10 ** 9))",
    "memory": "'a'.ljust(3 * 10 ** 9)",
    "power": "10 ** 1000 ** 10000",
    "sleep": "time.sleep(5)",
    "regex": "re.match('(a+)+$', 'a' * 26 + 'b')",
    "many matches": "re.findall('', text)",
    "huge decimal to int": "int(Decimal('1e999999'))",
}


def per_call_us(fn, n: int) -> float:
    fn()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples) * 1e6, 1)


def main() -> None:
    limits.configure(script_timeout_s=1, script_memory_mb=64, expression_timeout_ms=200)
    bombs = compile_bundle(
        "limits_script_bombs.bpmn", (FIXTURES / "limits_script_bombs.bpmn").read_text(), {}
    )
    script_pool.pool().warm()
    report: dict = {"limits": limits.current().__dict__}

    def trivial_task():
        workflow, result = runtime.start(bombs, {"kind": "none", "amount": 2})
        assert result.incident is None and runtime.current_data(workflow)["quote"] == 4

    report["normal_us_per_call"] = {
        "run_script('b = a + 1')": per_call_us(lambda: run_script("b = a + 1", {"a": 1}), 2000),
        "script task process (start to user task)": per_call_us(trivial_task, 500),
        "evaluate_expression('amount > 100 and tier == \"VIP\"')": per_call_us(
            lambda: evaluate_expression(
                'amount > 100 and tier == "VIP"', {"amount": 250, "tier": "VIP"}
            ),
            5000,
        ),
    }

    stopped = {}
    for kind in SCRIPT_KINDS:
        latencies: list[float] = []
        running = threading.Event()

        def meanwhile(running=running, latencies=latencies):
            running.wait()
            time.sleep(0.3)
            started = time.perf_counter()
            trivial_task()
            latencies.append(time.perf_counter() - started)

        helper = threading.Thread(target=meanwhile)
        helper.start()
        running.set()
        started = time.perf_counter()
        _, result = runtime.start(bombs, {"kind": kind, "amount": 1})
        elapsed = time.perf_counter() - started
        helper.join()
        error = result.incident.error if result.incident else "(no incident: ran normally)"
        stopped[f"script {kind}"] = {
            "seconds": round(elapsed, 3),
            "parallel_engine_call_seconds": round(latencies[0], 3),
            "incident": error[:160],
        }
    for kind, source in EXPRESSION_BOMBS.items():
        started = time.perf_counter()
        try:
            evaluate_expression(source, {"text": "a" * 900_000})
            outcome = "(ran normally)"
        except ExpressionError as exc:
            outcome = str(exc)[:160]
        stopped[f"expression {kind}"] = {
            "seconds": round(time.perf_counter() - started, 4),
            "error": outcome,
        }
    report["bombs"] = stopped
    report["processes_started"] = script_pool.pool().started
    try:
        run_script("x = 1", {"lock": threading.Lock()})
    except ScriptError as exc:
        report["unsendable_data"] = str(exc)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
