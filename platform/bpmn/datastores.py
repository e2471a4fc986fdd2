"""SpiffArena's three data stores: data shared between process instances.

A SpiffArena model declares `<bpmn:dataStore id="contacts" name="JSONDataStore"/>` (or
`KKVDataStore`, `JSONFileDataStore`) and connects tasks to a `dataStoreReference` of it.
Before the task runs its input association puts the store's value in the task data under
the store's id; when the task completes its output association writes that variable back
and removes it from the task data:

- JSON data store: the whole store is one JSON value (a new store reads as `{}`).
- Key-key-value (KKV) store: entries addressed by a top-level and a secondary key. Reading
  puts a function in the task data: `contacts("acme", "phone")` gives one value or None,
  `contacts("acme")` every secondary key of `acme`. Writing takes
  `{top: {second: value}}`; a value of None deletes that entry, `{top: None}` the whole
  top-level key.
- JSON file data store: one JSON value whose first contents come from the file
  `<store id>.json` beside the model (SpiffArena keeps it in that file; here later writes
  go to the storage, the model's file stays as it was deployed).

Scope: SpiffArena keeps a store in a process group and every model below that group sees
it. Here the scope is the process key's group: everything before its last "/" or "."
(`support/repair` or `support.repair` -> `support`; BPMN ids cannot hold "/", so a group
is written with dots in a process id), and "" (the deployment's top-level group) for keys
without one, so ungrouped ticket types of a deployment share their stores. Stores of one
group are invisible to another; there is no search up the group tree.

Where values live is the host's business: it passes a `Storage` to `use_storage()` at
start (the platform: definitions.DataStoreEntry rows, written in the ticket's
transaction); the scenario runner uses `MemoryStorage`. The KKV reader a script calls is
a snapshot of the store taken when the task starts: scripts run in a sandbox process that
cannot reach the database.
"""

import contextvars
import copy
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataStoreSpecification

JSON, KKV, JSON_FILE = "json", "kkv", "json_file"
WHOLE = ""  # the top and second key of a JSON or JSON file store's single entry
MAX_VALUE_BYTES = 1_000_000


class DataStoreError(ValueError):
    """A data store cannot be read or written; the message names the store."""


class Storage(Protocol):
    """What the host implements. Values are JSON; keys are strings."""

    def read(self, kind: str, scope: str, store: str) -> dict[str, dict[str, Any]]:
        """Every entry of the store: {top_key: {second_key: value}}."""

    def write(self, kind: str, scope: str, store: str, top: str, second: str, value: Any):
        """Insert or replace one entry."""

    def delete(self, kind: str, scope: str, store: str, top: str, second: str | None):
        """Remove one entry, or every entry under `top` when `second` is None."""


class MemoryStorage:
    """A Storage in a dict (scenarios, tests)."""

    def __init__(self):
        self.entries: dict[tuple, dict[str, dict[str, Any]]] = {}

    def read(self, kind, scope, store):
        return copy.deepcopy(self.entries.get((kind, scope, store), {}))

    def write(self, kind, scope, store, top, second, value):
        self.entries.setdefault((kind, scope, store), {}).setdefault(top, {})[second] = (
            copy.deepcopy(value)
        )

    def delete(self, kind, scope, store, top, second):
        tops = self.entries.get((kind, scope, store), {})
        if second is None:
            tops.pop(top, None)
        else:
            tops.get(top, {}).pop(second, None)


_STORAGE: Storage | None = None
_SCOPE: contextvars.ContextVar[tuple[Storage | None, str] | None] = contextvars.ContextVar(
    "flowdesk_data_store_scope", default=None
)
_FILES: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "flowdesk_data_store_files", default=None
)


def use_storage(storage: Storage | None) -> None:
    """The host's storage for every engine call (set once at start)."""
    global _STORAGE
    _STORAGE = storage


def scope_for(process_key: str) -> str:
    cut = max(process_key.rfind("/"), process_key.rfind("."))
    return process_key[:cut] if cut > 0 else ""


@contextmanager
def running_in(
    scope: str, storage: Storage | None = None, files: Mapping[str, str] | None = None
) -> Iterator[None]:
    """Run engine steps with this scope (and, for scenarios, this storage and these model
    files for JSON file stores)."""
    token = _SCOPE.set((storage, scope))
    files_token = _FILES.set(files or {})
    try:
        yield
    finally:
        _SCOPE.reset(token)
        _FILES.reset(files_token)


def _where(store_id: str) -> tuple[Storage, str]:
    current = _SCOPE.get()
    storage = (current[0] if current else None) or _STORAGE
    if storage is None:
        raise DataStoreError(f"data store {store_id!r}: no storage is configured")
    if current is not None:
        return storage, current[1]
    from bpmn import spiff_helpers

    return storage, scope_for(spiff_helpers.current().process_key)


def _checked(store_id: str, value: Any) -> Any:
    try:
        size = len(json.dumps(value))
    except (TypeError, ValueError) as exc:
        raise DataStoreError(f"data store {store_id!r}: the value is not JSON ({exc})") from None
    if size > MAX_VALUE_BYTES:
        raise DataStoreError(f"data store {store_id!r}: {size:,} bytes is over the limit")
    return value


def _pop_output(my_task, store_id: str) -> Any:
    if store_id not in my_task.data:
        raise DataStoreError(
            f"data store {store_id!r}: the task has no variable {store_id!r} to write"
        )
    return my_task.data.pop(store_id)


class JSONDataStore(BpmnDataStoreSpecification):
    KIND = JSON

    def _initial(self) -> Any:
        return {}

    def get(self, my_task):
        storage, scope = _where(self.bpmn_id)
        entries = storage.read(self.KIND, scope, self.bpmn_id)
        if WHOLE in entries and WHOLE in entries[WHOLE]:
            my_task.data[self.bpmn_id] = entries[WHOLE][WHOLE]
        else:
            my_task.data[self.bpmn_id] = self._initial()

    def set(self, my_task):
        storage, scope = _where(self.bpmn_id)
        value = _checked(self.bpmn_id, _pop_output(my_task, self.bpmn_id))
        storage.write(self.KIND, scope, self.bpmn_id, WHOLE, WHOLE, value)


class JSONFileDataStore(JSONDataStore):
    KIND = JSON_FILE

    def _initial(self) -> Any:
        text = (_FILES.get() or {}).get(f"{self.bpmn_id}.json")
        if text is None:
            raise DataStoreError(
                f"JSON file data store {self.bpmn_id!r}: no file {self.bpmn_id}.json beside "
                "the model and nothing written yet"
            )
        try:
            return json.loads(text)
        except ValueError as exc:
            raise DataStoreError(f"{self.bpmn_id}.json is not valid JSON: {exc}") from None


class KKVReader(dict):
    """`store(top)` / `store(top, second)` over a snapshot of a KKV store. A dict of the
    entries too, so that a user task waiting with it in its data saves as plain JSON."""

    def __call__(self, top_level_key: str, secondary_key: str | None = None) -> Any:
        if secondary_key is None:
            return copy.deepcopy(self.get(top_level_key, {}))
        return copy.deepcopy(self.get(top_level_key, {}).get(secondary_key))


class KKVDataStore(BpmnDataStoreSpecification):
    def get(self, my_task):
        storage, scope = _where(self.bpmn_id)
        my_task.data[self.bpmn_id] = KKVReader(storage.read(KKV, scope, self.bpmn_id))

    def set(self, my_task):
        storage, scope = _where(self.bpmn_id)
        data = _pop_output(my_task, self.bpmn_id)
        if not isinstance(data, dict):
            raise DataStoreError(
                f"KKV data store {self.bpmn_id!r}: write a mapping {{top key: {{key: value}}}}"
            )
        for top, seconds in data.items():
            if seconds is None:
                storage.delete(KKV, scope, self.bpmn_id, str(top), None)
                continue
            if not isinstance(seconds, dict):
                raise DataStoreError(
                    f"KKV data store {self.bpmn_id!r}: {self.bpmn_id}[{top!r}] must be a mapping"
                )
            for second, value in seconds.items():
                if value is None:
                    storage.delete(KKV, scope, self.bpmn_id, str(top), str(second))
                else:
                    value = _checked(self.bpmn_id, value)
                    storage.write(KKV, scope, self.bpmn_id, str(top), str(second), value)


# The names SpiffArena's modeler writes in <bpmn:dataStore name="...">.
DATA_STORE_CLASSES = {
    "JSONDataStore": JSONDataStore,
    "KKVDataStore": KKVDataStore,
    "JSONFileDataStore": JSONFileDataStore,
}
