"""Webhook deliveries are checked again when they are sent, not only at subscription: the
host is resolved once, every address must be public, and the connection goes to the
address that was checked (with the original Host header, and over HTTPS the host name's
SNI and certificate check). A refused delivery fails for good with a readable reason.

Only names this test controls are looked up through `notify.webhooks.resolve` (the one
resolver seam; real DNS is not reachable here); connections are real, to local servers."""

import ipaddress
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from notify import webhooks
from notify.actions import do_notify, do_subscribe_webhook
from notify.delivery import deliver_pending
from notify.models import OutboxMessage, WebhookSubscription
from notify.webhooks import BadWebhookUrl, check_webhook_url

pytestmark = pytest.mark.django_db
PUBLIC = "93.184.215.14"


class Names:
    """A resolver for the test's own names; counts the look-ups."""

    def __init__(self, monkeypatch, **answers):
        self.answers = {name.replace("_", "."): value for name, value in answers.items()}
        self.calls: list[str] = []
        monkeypatch.setattr(webhooks, "resolve", self.resolve)

    def resolve(self, host, port):
        self.calls.append(host)
        answer = self.answers[host]
        if callable(answer):
            answer = answer()
        if isinstance(answer, Exception):
            raise answer
        return [ipaddress.ip_address(a) for a in answer]


def port_of(receiver) -> int:
    return int(receiver.url.rsplit(":", 1)[1])


def only_row() -> OutboxMessage:
    return OutboxMessage.objects.get(channel="webhook")


def deliver_one(event="ticket.created") -> OutboxMessage:
    do_notify(event, ticket_id=3, context={"n": 1})
    deliver_pending()
    return only_row()


# ---------------------------------------------------------------- refusals


def test_delivery_to_a_name_that_resolves_to_loopback_is_refused(receiver, settings):
    do_subscribe_webhook(url=f"http://localhost:{port_of(receiver)}/hook", event_types=["*"])
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = False  # the default in production

    row = deliver_one()
    assert receiver.received == []  # nothing left the server
    assert (row.state, row.attempts) == ("dead", 1)  # not retried
    assert row.last_error.startswith(
        "delivery refused: webhook host localhost is or resolves to a private or loopback address"
    )


def test_a_name_rebound_to_loopback_after_subscribing_is_refused(receiver, settings, monkeypatch):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = False
    answers = iter([[PUBLIC], ["127.0.0.1"]])
    Names(monkeypatch, hooks_crm_test=lambda: next(answers))
    url = check_webhook_url(f"http://hooks.crm.test:{port_of(receiver)}/in")  # public now
    do_subscribe_webhook(url=url, event_types=["*"])

    row = deliver_one()
    assert receiver.received == [] and row.state == "dead"
    assert "hooks.crm.test is or resolves to a private or loopback address (127.0.0.1)" in (
        row.last_error
    )


@pytest.mark.parametrize(
    "internal",
    [
        "10.1.2.3",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fc00::5",
        "::ffff:127.0.0.1",
    ],
)
def test_every_resolved_address_must_be_public(internal, settings, monkeypatch):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = False
    Names(monkeypatch, hooks_crm_test=[PUBLIC, internal])
    with pytest.raises(BadWebhookUrl, match="private or loopback") as refused:
        webhooks.vet("https://hooks.crm.test/in")
    assert not refused.value.retryable
    assert webhooks.vet(f"https://{PUBLIC}/in").addresses == (ipaddress.ip_address(PUBLIC),)


def test_a_name_that_does_not_resolve_is_retried_later(settings, monkeypatch):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = False
    Names(monkeypatch, hooks_crm_test=socket.gaierror(socket.EAI_NONAME, "Name unknown"))
    do_subscribe_webhook(url="https://hooks.crm.test/in", event_types=["*"])
    row = deliver_one()
    assert row.state == "failed" and row.next_attempt_at > row.created_at
    assert row.last_error == "delivery refused: webhook host 'hooks.crm.test' does not resolve"


# ---------------------------------------------------------------- pinning


def test_the_delivery_connects_to_the_vetted_address_with_the_original_host(receiver, monkeypatch):
    names = Names(monkeypatch, hooks_crm_test=["127.0.0.1"])
    port = port_of(receiver)
    sub = do_subscribe_webhook(url=f"http://hooks.crm.test:{port}/in?k=1", event_types=["*"])
    receiver.secret = sub.secret

    row = deliver_one()
    assert row.state == "sent"
    (request,) = receiver.received  # reached only through the address the check saw
    assert request.headers["Host"] == f"hooks.crm.test:{port}"
    assert request.path == "/in?k=1" and receiver.signature_results == [True]
    assert names.calls == ["hooks.crm.test"]  # resolved once: no second look-up to rebind


def test_a_refused_answer_of_the_receiver_keeps_its_status_and_text(receiver, monkeypatch):
    Names(monkeypatch, hooks_crm_test=["127.0.0.1"])
    do_subscribe_webhook(url=f"http://hooks.crm.test:{port_of(receiver)}/", event_types=["*"])
    receiver.answer((503, b"maintenance"))
    row = deliver_one()
    assert (row.state, row.last_error) == ("failed", "HTTP 503 from hooks.crm.test: maintenance")


@pytest.fixture
def tls_receiver(tmp_path):
    """An HTTPS server on 127.0.0.1 with a certificate for hooks.crm.test only; records the
    server name each client asked for (SNI) and the Host headers."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=hooks.crm.test",
            "-addext",
            "subjectAltName=DNS:hooks.crm.test",
        ],
        check=True,
        capture_output=True,
    )
    seen = {"sni": [], "host": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen["host"].append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format, *args):
            pass

    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    server_side.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_side.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    client_side = ssl.create_default_context(cafile=str(cert))
    yield server.server_port, client_side, seen
    server.shutdown()
    server.server_close()


def test_https_sends_the_host_name_for_sni_and_checks_the_certificate_against_it(
    tls_receiver, settings, monkeypatch
):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = True  # the TLS server listens on 127.0.0.1
    port, trusted, seen = tls_receiver
    Names(monkeypatch, hooks_crm_test=["127.0.0.1"], other_crm_test=["127.0.0.1"])

    target = webhooks.vet(f"https://hooks.crm.test:{port}/in")
    status, answer = webhooks.post_pinned(target, b"{}", {}, 5, 100, context=trusted)
    assert (status, answer) == (200, b"ok")
    assert seen["sni"] == ["hooks.crm.test"] and seen["host"] == [f"hooks.crm.test:{port}"]

    # same address, another name: the certificate is checked against the name, not the IP
    other = webhooks.vet(f"https://other.crm.test:{port}/in")
    with pytest.raises(ssl.SSLCertVerificationError, match="other.crm.test"):
        webhooks.post_pinned(other, b"{}", {}, 5, 100, context=trusted)
    assert seen["host"] == [f"hooks.crm.test:{port}"]  # nothing was posted


# ---------------------------------------------------------------- signing secrets


def test_the_signing_secret_is_always_generated_or_long_enough(cast):
    for given in (None, "", "   "):
        sub = do_subscribe_webhook(url="https://hooks.crm.test/", event_types=["*"], secret=given)
        assert len(sub.secret) >= 32
    with pytest.raises(ValidationError, match="at least 12 characters"):
        do_subscribe_webhook(url="https://hooks.crm.test/", event_types=["*"], secret="s3")


def test_a_subscription_without_a_secret_is_never_delivered_unsigned(receiver):
    # as the admin form used to store it
    WebhookSubscription.objects.create(url=receiver.url + "/in", secret="", event_types=["*"])
    row = deliver_one()
    assert receiver.received == [] and row.state == "dead"
    assert row.last_error == "webhook subscription has no signing secret; subscribe it again"


def test_subscribing_an_internal_ip_is_refused_by_the_action_itself(settings):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = False
    for url in ("http://127.0.0.1:8000/hook", "http://169.254.169.254/latest", "http://[::1]/"):
        with pytest.raises(ValidationError, match="private or loopback address"):
            do_subscribe_webhook(url=url, event_types=["*"])
    with pytest.raises(ValidationError, match="credentials"):
        do_subscribe_webhook(url="https://user:pw@hooks.crm.test/", event_types=["*"])
    assert not WebhookSubscription.objects.exists()
