import pytest

from tests.conftest import _user


@pytest.fixture
def olga(db):
    """Olga owns the processes: she edits, tests and publishes the decision tables."""
    return _user("olga", ["process_owners"])
