"""The platform's storage for SpiffArena data stores (bpmn/datastores.py): DataStoreEntry
rows, written in the transaction of the engine call that writes them (a rolled-back
ticket step leaves the store as it was)."""

from definitions.models import DataStoreEntry


class DatabaseStorage:
    def read(self, kind: str, scope: str, store: str) -> dict:
        entries: dict = {}
        rows = DataStoreEntry.objects.filter(kind=kind, scope=scope, store=store)
        for top, second, value in rows.values_list("top_key", "second_key", "value"):
            entries.setdefault(top, {})[second] = value
        return entries

    def write(self, kind: str, scope: str, store: str, top: str, second: str, value) -> None:
        DataStoreEntry.objects.update_or_create(
            kind=kind,
            scope=scope,
            store=store,
            top_key=top,
            second_key=second,
            defaults={"value": value},
        )

    def delete(self, kind: str, scope: str, store: str, top: str, second: str | None) -> None:
        rows = DataStoreEntry.objects.filter(kind=kind, scope=scope, store=store, top_key=top)
        if second is not None:
            rows = rows.filter(second_key=second)
        rows.delete()
