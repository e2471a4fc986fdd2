"""Schemathesis over /api/v1/openapi.json, in process against the Django WSGI app and the
test database with the cast, the repair process, tickets and a webhook in it.

Each operation gets a bounded number of generated requests with a token holding every
scope: valid and invalid ones (per the schema), then valid ones aimed at real objects (the
path names a deployed process, an open ticket, an open task); and a few without any
credential. Every answer must be no 5xx, a documented status code and a body matching its
documented schema. Failures are collected over all operations and reported together.
"""

import re
import time
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from integrations.models import SCOPES
from tests.conftest import repair_start
from tests.integrations.support import post, session_client, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE


@pytest.fixture
def api_schema(cast, repair, settings):
    settings.FLOWDESK_API_RATE_PER_MIN = 100_000
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = False
    alice, dave = session_client(cast["alice"]), session_client(cast["dave"])
    for _ in range(3):
        started = post(alice, "/api/v1/tickets", {"process": "repair", "data": repair_start()})
        assert started.status_code == 201, started.content
    assert post(dave, "/api/v1/webhooks", {"url": "https://93.184.215.14/hook"}).status_code == 201
    # like Django's test client: requests must not close the connection holding the test's
    # transaction (the WSGI handler does so at every request's end)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _real_objects() -> dict[str, object]:
    from notify.models import WebhookSubscription
    from tickets.models import HumanTask, Ticket

    return {
        "key": "repair",
        "ref": Ticket.objects.order_by("id").values_list("number", flat=True).last(),
        "task_id": HumanTask.objects.order_by("id").values_list("id", flat=True).last(),
        "subscription_id": WebhookSubscription.objects.values_list("id", flat=True).last(),
    }


class Fuzzer:
    def __init__(self, schema):
        self.operations = [result.ok() for result in schema.get_all_operations()]
        self.failures: list[str] = []
        self.statuses: Counter = Counter()

    def run(self, headers: dict, examples: int, mode, real_paths: bool = False) -> None:
        for operation in self.operations:
            names = re.findall(r"\{(\w+)\}", operation.path)
            if real_paths and not names:
                continue
            pinned = {n: v for n, v in _real_objects().items() if n in names} if real_paths else {}
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=pinned or None)
            self._examples(operation, strategy, headers, examples, mode)

    def _examples(self, operation, strategy, headers, examples, mode) -> None:
        @given(case=strategy)
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call(headers=headers)
            self.statuses[(operation.label, response.status_code)] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            call()
        except BaseExceptionGroup as group:  # schemathesis' failures of one request
            self.failures.append(f"{operation.label} [{mode.value}]: {_summary(group)}")
        except AssertionError as exc:
            self.failures.append(f"{operation.label} [{mode.value}]: {_summary(exc)}")


def _summary(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    curl = next((line for line in lines if line.startswith("curl")), "")
    return " / ".join(lines[:4]) + (f" / {curl}" if curl else "")


def test_the_api_answers_every_generated_request_as_documented(cast, api_schema):
    started = time.monotonic()
    fuzz = Fuzzer(api_schema)
    token = {"Authorization": f"Bearer {token_for(cast['dave'], *SCOPES, name='fuzz')}"}
    fuzz.run(token, 12, POSITIVE)
    fuzz.run(token, 8, NEGATIVE)
    fuzz.run(token, 8, POSITIVE, real_paths=True)

    unique = sorted(set(fuzz.failures))
    calls = sum(fuzz.statuses.values())
    assert unique == [], f"{len(fuzz.failures)} failures in {calls} calls:\n" + "\n".join(unique)
    assert calls >= 500
    assert not any(status >= 500 for _label, status in fuzz.statuses)
    # the token reached the endpoints: most operations answered 2xx at least once
    succeeded = {label for (label, status) in fuzz.statuses if 200 <= status < 300}
    assert len(succeeded) >= 10, sorted(succeeded)
    anonymous = Fuzzer(api_schema)
    anonymous.run({}, 3, POSITIVE)
    assert anonymous.failures == []
    assert all(status in (400, 401, 403) for _label, status in anonymous.statuses)
    classes = Counter(
        f"{status // 100}xx" for (_l, status), n in fuzz.statuses.items() for _ in range(n)
    )
    print(  # the figures for the security note (pytest -s shows them)
        f"fuzz: {len(fuzz.operations)} operations, {calls} calls with a token "
        f"({dict(sorted(classes.items()))}), {sum(anonymous.statuses.values())} without; "
        f"{time.monotonic() - started:.0f} s"
    )
