import uuid

import pytest


@pytest.fixture(autouse=True)
def _own_rate_counters(settings):
    """Rate-limit counters of this test only (Redis outlives test databases)."""
    settings.FLOWDESK_RATE_NAMESPACE = f"test-rate:{uuid.uuid4().hex}"
