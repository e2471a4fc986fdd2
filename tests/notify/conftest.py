"""Fixtures for the notify tests: the cast, and a real HTTP receiver on 127.0.0.1."""

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Group, User

from notify.channels import verify_signature


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """What a provider or webhook endpoint saw, and what it answers next.

    `answers` is a queue of (status, body) or callables(Received) -> (status, body); when it
    is empty the receiver answers `default`. `secret` makes it verify webhook signatures
    like a real receiver would (401 when the signature does not check out).
    """

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: deque = field(default_factory=deque)
    default: tuple[int, bytes] = (200, b'{"ok": true}')
    secret: str | None = None
    delay_s: float = 0.0
    signature_results: list[bool] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *answers: tuple[int, bytes] | Callable) -> None:
        self.answers.extend(answers)

    def handle(self, request: Received) -> tuple[int, bytes]:
        if self.delay_s:
            time.sleep(self.delay_s)
        with self.lock:
            self.received.append(request)
            if self.secret is not None:
                ok = verify_signature(
                    self.secret,
                    request.headers.get("X-Flowdesk-Timestamp", ""),
                    request.body,
                    request.headers.get("X-Flowdesk-Signature"),
                )
                self.signature_results.append(ok)
                if not ok:
                    return 401, b'{"error": "bad signature"}'
            answer = self.answers.popleft() if self.answers else self.default
        return answer(request) if callable(answer) else answer

    def delivery_ids(self) -> list[str]:
        return [r.headers.get("X-Flowdesk-Delivery", "") for r in self.received]


def _start(receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer = receiver.handle(Received(self.path, dict(self.headers), body))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # polled every 50 ms: shutdown() waits for the poll (0.5 s by default, at every test's end)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_port}"
    return server


@pytest.fixture
def receiver(settings):
    # The receiver listens on 127.0.0.1, which webhook deliveries refuse unless allowed.
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = True
    receiver = Receiver()
    server = _start(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def cast(db):
    """alice the agent, bob the supervisor, carol in finance, dave the admin."""
    agents = Group.objects.create(name="agents")
    people = {}
    for name, email in [
        ("alice", "alice@flowdesk.test"),
        ("bob", "bob@flowdesk.test"),
        ("carol", "carol@flowdesk.test"),
        ("dave", "dave@flowdesk.test"),
    ]:
        people[name] = User.objects.create_user(name, email=email, first_name=name.title())
    agents.user_set.add(people["alice"], people["bob"])
    return people
