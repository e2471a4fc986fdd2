"""Workflows kept alive between a ticket's actions, in this process.

Restoring engine state is about a fifth of a step's CPU. After an action commits, its
workflow object is kept with the exact state text it was saved as; the next action on the
ticket continues that object when the locked row still holds that text (so a write by any
other process or path simply misses), and deserializes otherwise. An object is taken out
while an action runs and put back only after its transaction commits: a rolled-back
action never leaves its half-run workflow behind.
"""

import threading
from collections import OrderedDict

from django.db import transaction

_SIZE = 256  # tickets: a few MB of workflow objects per process
_lock = threading.Lock()
_kept: OrderedDict[int, tuple] = OrderedDict()


def take(ticket_id: int, state: str, compiled):
    """The kept workflow of this ticket if it was saved as `state` from the same parsed
    process (`compiled`), else None."""
    with _lock:
        kept = _kept.pop(ticket_id, None)
    if kept is None:
        return None
    saved_state, saved_compiled, workflow = kept
    if saved_compiled is not compiled or saved_state != state:
        return None
    return workflow


def keep_after_commit(ticket_id: int, state: str, compiled, workflow) -> None:
    """Keep `workflow`, saved as `state`, once the running transaction commits."""
    transaction.on_commit(lambda: _keep(ticket_id, (state, compiled, workflow)))


def _keep(ticket_id: int, entry: tuple) -> None:
    with _lock:
        _kept[ticket_id] = entry
        _kept.move_to_end(ticket_id)
        while len(_kept) > _SIZE:
            _kept.popitem(last=False)


def clear() -> None:
    with _lock:
        _kept.clear()
