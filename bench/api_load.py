"""Lifecycles over HTTP: one gunicorn worker (threads) on loopback, 8 keep-alive clients.

Each client loops start → complete the one form task → (the process ends) on the quick
process (bench/fixtures/quick.bpmn) with an API token whose own rate allows the load.
The server runs against the bench's database with DEBUG off and persistent connections,
as `make run-scaled` serves it. Figures: lifecycles per second over the measured window
and request latencies (p50/p95 of starts and completions). The window is BENCH_API_SECONDS
long, or longer until every client has measured BENCH_API_MIN_LIFECYCLES: on a loaded
machine a short window would otherwise end before any lifecycle finished.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from timing import percentile

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = int(os.environ.get("BENCH_API_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "20"))
WARMUP_S = float(os.environ.get("BENCH_API_WARMUP_S", "2"))
MIN_LIFECYCLES = int(os.environ.get("BENCH_API_MIN_LIFECYCLES", "1"))  # per client
THREADS = int(os.environ.get("BENCH_API_THREADS", "8"))
ANSWER = {"answer": "Restart the router, then call us again.", "resolved": True}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings_dict['NAME']}"


class Server:
    """gunicorn serving flowdesk.wsgi with one worker and THREADS threads."""

    def __init__(self, db_url: str):
        self.port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "FLOWDESK_LOG_LEVEL": "WARNING",
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "flowdesk.wsgi:application",
                "--chdir",
                str(ROOT / "platform"),
                "--workers",
                "1",
                "--threads",
                str(THREADS),
                "--worker-class",
                "gthread",
                "--keep-alive",
                "60",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/openapi.json")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Lifecycles:
    """One client: a keep-alive connection doing start → complete until told to stop."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.starts: list[float] = []
        self.completes: list[float] = []
        self.last_end = 0.0  # when the last measured lifecycle finished
        self.error: str | None = None

    def _call(self, method: str, path: str, body: dict | None, expect: int) -> tuple[float, dict]:
        t0 = time.perf_counter()
        self.conn.request(
            method, path, json.dumps(body) if body is not None else None, self.headers
        )
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        return elapsed, json.loads(payload)

    def close(self) -> None:
        self.conn.close()

    def one(self) -> tuple[float, float]:
        start_ms, ticket = self._call("POST", "/api/v1/tickets", {"process": "quick"}, 201)
        tasks = ticket.get("open_tasks")
        if tasks is None:  # a slim start response: ask for the ticket's open task
            tasks = self._call("GET", f"/api/v1/tickets/{ticket['number']}", None, 200)[1][
                "open_tasks"
            ]
        done_ms, done = self._call(
            "POST", f"/api/v1/tasks/{tasks[0]['id']}/complete", {"data": ANSWER}, 200
        )
        if done["status"] != "completed":
            raise RuntimeError(f"ticket {ticket['number']} ended {done['status']}")
        return start_ms, done_ms

    def run(self, measure_from: float, stop_at: float) -> None:
        try:
            while time.perf_counter() < stop_at or len(self.starts) < MIN_LIFECYCLES:
                began = time.perf_counter()
                start_ms, done_ms = self.one()
                ended = time.perf_counter()
                if began >= measure_from and (
                    ended <= stop_at or len(self.starts) < MIN_LIFECYCLES
                ):
                    self.starts.append(start_ms)
                    self.completes.append(done_ms)
                    self.last_end = ended
        except Exception as exc:  # reported, and fails the bench
            self.error = f"{type(exc).__name__}: {exc}"


def measure(db_url: str, token: str) -> dict:
    server = Server(db_url)
    clients: list[Lifecycles] = []
    try:
        server.wait_ready()
        warmup = Lifecycles(server.port, token)
        warmup.one()  # first request loads specs and caches
        warmup.close()
        clients = [Lifecycles(server.port, token) for _ in range(CLIENTS)]
        now = time.perf_counter()
        measure_from, stop_at = now + WARMUP_S, now + WARMUP_S + SECONDS
        threads = [threading.Thread(target=c.run, args=(measure_from, stop_at)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for client in clients:  # gunicorn's graceful stop waits for open keep-alive connections
            client.close()
        server.stop()
    errors = [c.error for c in clients if c.error]
    if errors:
        raise RuntimeError(f"API load failed: {errors[0]}")
    starts = [ms for c in clients for ms in c.starts]
    completes = [ms for c in clients for ms in c.completes]
    if not starts:
        raise RuntimeError("no lifecycle finished inside the measured window")
    window_s = max(stop_at, *(c.last_end for c in clients)) - measure_from
    return {
        "lifecycles_per_s": round(len(starts) / window_s, 1),
        "window_s": round(window_s, 2),
        "p95_ms": round(percentile(starts + completes, 95), 1),
        "start_p50_ms": round(percentile(starts, 50), 1),
        "start_p95_ms": round(percentile(starts, 95), 1),
        "complete_p50_ms": round(percentile(completes, 50), 1),
        "complete_p95_ms": round(percentile(completes, 95), 1),
        "lifecycles": len(starts),
        "clients": CLIENTS,
        "server": f"gunicorn --workers 1 --threads {THREADS} (gthread), 127.0.0.1",
    }
