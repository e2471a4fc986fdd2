import pytest

from bpmn import limits


@pytest.fixture
def corpus_script_limit():
    """The SpiffArena corpus runs every example's scripts, one sleeping 2 s of its 5 s wall
    clock limit: on a busy machine the rest of the budget goes to waiting for a core. These
    tests check what the models compute, not the limit (test_resource_limits does), so they
    get a wide one; a script that fails or never ends still fails them."""
    previous = limits.configure(script_timeout_s=60)
    yield
    limits.restore(previous)
