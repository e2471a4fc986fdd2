"""The embedded worker: without Redis, one background thread runs the periodic sweeps."""

import logging
import threading

from django.db import close_old_connections

log = logging.getLogger("flowdesk.worker")


def _sweeps() -> list:
    from scheduling.reminders import send_due_reminders
    from tickets.actions import do_fire_due_timers
    from tickets.escalation import do_sweep_sla

    sweeps = [do_fire_due_timers, do_sweep_sla, send_due_reminders]
    try:
        from notify.delivery import deliver_digests, deliver_pending
        from notify.fanout import run_stale_fanout
    except ImportError:  # notifications not installed
        return sweeps + EXTRA_SWEEPS
    return [*sweeps, run_stale_fanout, deliver_pending, deliver_digests, *EXTRA_SWEEPS]


# Sweeps of apps above tickets (intake's IMAP poller), registered from their AppConfig.ready.
EXTRA_SWEEPS: list = []


def _sweep_once() -> dict[str, bool]:
    """Run every sweep once. Each runs on its own: one that fails (logged with its
    traceback) never keeps the others from running in the same pass."""
    outcome = {}
    for sweep in _sweeps():
        try:
            sweep()
            outcome[sweep.__name__] = True
        except Exception:
            log.exception("embedded worker: %s failed", sweep.__name__)
            outcome[sweep.__name__] = False
        finally:
            close_old_connections()
    return outcome


def run_forever(stop: threading.Event, interval: float = 2.0) -> None:
    while not stop.is_set():
        try:
            _sweep_once()
        except Exception:  # keep the worker alive; the failure is logged with its traceback
            log.exception("embedded worker sweep failed")
        stop.wait(interval)


def start_embedded_worker(interval: float = 2.0) -> threading.Event:
    stop = threading.Event()
    threading.Thread(
        target=run_forever, args=(stop, interval), name="flowdesk-worker", daemon=True
    ).start()
    return stop
