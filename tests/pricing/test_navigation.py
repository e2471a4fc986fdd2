"""The pricing pages are linked from the navigation for finance and process owners only."""

import pytest

from tests.integrations.support import session_client


@pytest.mark.django_db
def test_finance_sees_the_pricing_link_and_agents_do_not(cast):
    finance = session_client(cast["carol"]).get("/pricing/").content.decode()
    assert 'href="/pricing/"' in finance and 'href="/pricing/simulate/"' in finance
    agent = session_client(cast["alice"]).get("/tasks/").content.decode()
    assert 'href="/pricing/"' not in agent
