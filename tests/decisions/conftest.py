import pytest
from django.utils import translation

from tests.conftest import _user


@pytest.fixture
def olga(db):
    """Olga owns the processes: she edits, tests and publishes the decision tables."""
    return _user("olga", ["process_owners"])


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English whatever language an earlier test left active."""
    with translation.override("en"):
        yield
