"""The embedded worker: without Redis, one background thread runs the periodic sweeps.

Every `interval` seconds it runs each sweep once. In between, a committed ticket action
that left notification work wakes it (notify.fanout.set_waker): it then fans the events
out and delivers, so `make run` notifies within moments while requests never do it."""

import logging
import threading
import time

from django.db import close_old_connections

log = logging.getLogger("flowdesk.worker")

_woken = threading.Event()
_STOP_CHECK_S = 0.5


def _sweeps() -> list:
    from scheduling.reminders import send_due_reminders
    from tickets.actions import do_fire_due_timers
    from tickets.escalation import do_sweep_sla

    return [do_fire_due_timers, do_sweep_sla, send_due_reminders, *_notify_sweeps(), *EXTRA_SWEEPS]


def _notify_sweeps() -> list:
    from notify.delivery import deliver_digests

    return [*_notify_now_sweeps(), deliver_digests]


def _notify_now_sweeps() -> list:
    """What a wake-up asks for: the committed events' fan-out, then their delivery."""
    from notify.delivery import deliver_pending
    from notify.fanout import run_pending_fanout

    return [run_pending_fanout, deliver_pending]


# Sweeps of apps above tickets (intake's IMAP poller, analytics' rollups), registered from
# their AppConfig.ready.
EXTRA_SWEEPS: list = []


class Every:
    """A sweep the worker runs at most once per `seconds` (first on its first pass): the
    worker ticks every few seconds, a daily rollup need not run that often."""

    def __init__(self, seconds: float, sweep):
        self.seconds, self.sweep = seconds, sweep
        self.__name__ = sweep.__name__
        self._last = None

    def __call__(self):
        now = time.monotonic()
        if self._last is not None and now - self._last < self.seconds:
            return None
        self._last = now
        return self.sweep()


def _run(sweeps) -> dict[str, bool]:
    """Run each sweep once. Each runs on its own: one that fails (logged with its
    traceback) never keeps the others from running in the same pass."""
    outcome = {}
    for sweep in sweeps:
        try:
            sweep()
            outcome[sweep.__name__] = True
        except Exception:
            log.exception("embedded worker: %s failed", sweep.__name__)
            outcome[sweep.__name__] = False
        finally:
            close_old_connections()
    return outcome


def _sweep_once() -> dict[str, bool]:
    return _run(_sweeps())


def wake() -> None:
    _woken.set()


def run_forever(stop: threading.Event, interval: float = 2.0) -> None:
    from notify import fanout

    fanout.set_waker(wake)
    next_pass = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() >= next_pass:
                next_pass = time.monotonic() + interval
                _sweep_once()
            elif _woken.wait(min(_STOP_CHECK_S, next_pass - time.monotonic())):
                _woken.clear()  # wakes after this see the next run; their jobs are committed
                _run(_notify_now_sweeps())
        except Exception:  # keep the worker alive; the failure is logged with its traceback
            log.exception("embedded worker sweep failed")


def start_embedded_worker(interval: float = 2.0) -> threading.Event:
    stop = threading.Event()
    threading.Thread(
        target=run_forever, args=(stop, interval), name="flowdesk-worker", daemon=True
    ).start()
    return stop
