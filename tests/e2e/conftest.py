"""Browser tests share their worker with the rest of the suite: a request the live server
still serves after its test (the bell's event stream notices a closed browser only at its
next write) must end with that test, not run on into the next ones."""

import threading
import time

import pytest


@pytest.fixture(autouse=True)
def requests_end_with_the_test(settings):
    settings.FLOWDESK_SSE_POLL_S = min(float(getattr(settings, "FLOWDESK_SSE_POLL_S", 2)), 0.3)
    yield
    deadline = time.monotonic() + 10
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and "process_request" in thread.name:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
