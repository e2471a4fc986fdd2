import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_after():
    """A request in Chinese leaves its language active in the thread: leave English behind."""
    yield
    translation.activate("en")
