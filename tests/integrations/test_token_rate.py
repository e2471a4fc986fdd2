"""A token configured with its own rate (a load test, a trusted back office) is limited by
that rate instead of the deployment's FLOWDESK_API_RATE_PER_MIN."""

import pytest

from integrations.models import ApiToken, hash_token
from tests.integrations.support import token_client, token_for

pytestmark = pytest.mark.django_db


def test_a_token_with_its_own_rate_gets_that_many_requests(cast, settings):
    settings.FLOWDESK_API_RATE_PER_MIN = 2
    settings.FLOWDESK_RATE_NAMESPACE += ":own-rate"
    clear = token_for(cast["alice"], "tickets:read")
    ApiToken.objects.filter(token_hash=hash_token(clear)).update(rate_per_min=5)
    client = token_client(clear)
    assert [client.get("/api/v1/tasks").status_code for _ in range(6)] == [200] * 5 + [429]
    assert client.get("/api/v1/tasks").json()["detail"].startswith("rate limit of 5 requests")

    ordinary = token_client(token_for(cast["alice"], "tickets:read"))
    assert [ordinary.get("/api/v1/tasks").status_code for _ in range(3)] == [200, 200, 429]
