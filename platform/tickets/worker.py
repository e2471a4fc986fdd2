"""The embedded worker: without Redis, one background thread runs the periodic sweeps."""

import logging
import threading

from django.db import close_old_connections

log = logging.getLogger("flowdesk.worker")


def _sweep_once() -> None:
    from tickets.actions import do_fire_due_timers
    from tickets.escalation import do_sweep_sla

    do_fire_due_timers()
    do_sweep_sla()
    try:
        from notify.delivery import deliver_digests, deliver_pending
    except ImportError:  # notifications not installed
        return
    deliver_pending()
    deliver_digests()


def run_forever(stop: threading.Event, interval: float = 2.0) -> None:
    while not stop.is_set():
        try:
            _sweep_once()
        except Exception:  # keep the worker alive; the failure is logged with its traceback
            log.exception("embedded worker sweep failed")
        finally:
            close_old_connections()
        stop.wait(interval)


def start_embedded_worker(interval: float = 2.0) -> threading.Event:
    stop = threading.Event()
    threading.Thread(
        target=run_forever, args=(stop, interval), name="flowdesk-worker", daemon=True
    ).start()
    return stop
