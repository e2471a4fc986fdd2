"""Per-token rate limits: a fixed window per minute, in Redis when REDIS_URL is set."""

import pytest
from django.conf import settings as django_settings

from integrations import ratelimit
from integrations.models import ApiToken, hash_token
from tests.integrations.support import session_client, token_client, token_for

pytestmark = pytest.mark.django_db


def test_a_token_over_its_rate_gets_429_with_retry_after(cast, settings):
    settings.FLOWDESK_API_RATE_PER_MIN = 3
    token = token_for(cast["alice"], "tickets:read")
    client = token_client(token)
    assert [client.get("/api/v1/tasks").status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/tasks")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["detail"].startswith("rate limit of 3 requests per minute exceeded")
    # other tokens and the web session have their own budgets
    assert (
        token_client(token_for(cast["alice"], "tickets:read")).get("/api/v1/tasks").status_code
        == 200
    )
    assert session_client(cast["alice"]).get("/api/v1/tasks").status_code == 200

    if django_settings.REDIS_URL:  # the count lives in the shared Redis, not in this process
        key_id = ApiToken.objects.get(token_hash=hash_token(token)).key_id
        keys = ratelimit._redis().keys(f"{settings.FLOWDESK_RATE_NAMESPACE}:token:{key_id}:*")
        assert len(keys) == 1 and int(ratelimit._redis().get(keys[0])) == 4


def test_the_window_resets_each_minute(settings):
    settings.FLOWDESK_RATE_NAMESPACE += ":window"
    start = 1_800_000_000.0  # a minute boundary
    assert [ratelimit.hit("b", 2, now=start + 1).allowed for _ in range(3)] == [True, True, False]
    assert ratelimit.hit("b", 2, now=start + 59).retry_after == 1
    assert ratelimit.hit("b", 2, now=start + 61).allowed  # next window


def test_without_redis_the_cache_counts(settings):
    settings.REDIS_URL = ""
    verdicts = [ratelimit.hit("local", 1, now=1_800_000_030.0) for _ in range(2)]
    assert [v.count for v in verdicts] == [1, 2]
    assert [v.allowed for v in verdicts] == [True, False]
    assert verdicts[1].retry_after == 30


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL")
def test_counts_are_shared_through_redis(settings):
    ratelimit.hit("shared", 5)
    raw = ratelimit._redis().keys(f"{settings.FLOWDESK_RATE_NAMESPACE}:shared:*")
    assert len(raw) == 1 and 0 < ratelimit._redis().ttl(raw[0]) <= 61


def test_a_redis_outage_lets_requests_through(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert ratelimit.hit("outage", 0).allowed
