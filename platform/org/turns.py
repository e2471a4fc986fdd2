"""Round-robin turns: a number per group that only grows, taken without waiting on anyone.

PostgreSQL: one sequence per group (`org_rr_turns_<group id>`). `nextval` is atomic and
outside transactions, so concurrent assignments in a group take distinct turns and none
waits for another's transaction to commit. (An UPDATE of a counter row is atomic too, but
holds the row's lock until its transaction commits: every start in the group would queue
behind the one before, through its commit.) A rolled-back assignment spends its turn, as
a member who is skipped does.

Elsewhere (SQLite, which serialises writers anyway) the group's RoundRobinCursor row is
advanced by one `UPDATE ... RETURNING` (or UPDATE, then SELECT where RETURNING is missing).
"""

import sqlite3

from django.contrib.auth.models import Group
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models import F
from django.utils import timezone

from org.models import RoundRobinCursor


def take_turn(group: Group) -> int:
    """Advance the group's turn by one and return it (1 for the group's first turn)."""
    if connection.vendor == "postgresql":
        return _sequence_turn(group)
    return _counter_turn(group)


def turns_taken(group: Group) -> int:
    if connection.vendor == "postgresql":
        name = _sequence_name(group)
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if not cursor.fetchone()[0]:
                return 0
            cursor.execute(f"SELECT last_value, is_called FROM {name}")  # noqa: S608
            last_value, is_called = cursor.fetchone()
        return int(last_value) if is_called else 0
    return RoundRobinCursor.objects.filter(group=group).values_list("turns", flat=True).first() or 0


def _sequence_name(group: Group) -> str:
    return f"org_rr_turns_{int(group.id)}"


def _sequence_turn(group: Group) -> int:
    name = _sequence_name(group)
    with connection.cursor() as cursor:
        # One statement in the usual case; before the group's first turn the CASE keeps
        # nextval from failing (which would abort the caller's transaction). The name is
        # resolved when the statement runs (to_regclass), not when it is parsed.
        cursor.execute(
            "SELECT CASE WHEN to_regclass(%s) IS NOT NULL THEN nextval(to_regclass(%s)) END",
            [name, name],
        )
        turn = cursor.fetchone()[0]
        if turn is not None:
            return int(turn)
        try:
            with transaction.atomic():
                cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name}")
        except (IntegrityError, ProgrammingError):
            pass  # a concurrent first turn created it
        cursor.execute("SELECT nextval(%s)", [name])
        return int(cursor.fetchone()[0])


def _counter_turn(group: Group) -> int:
    table = RoundRobinCursor._meta.db_table
    for _ in range(2):
        if sqlite3.sqlite_version_info >= (3, 35) and connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET turns = turns + 1, updated_at = %s "  # noqa: S608
                    "WHERE group_id = %s RETURNING turns",
                    [timezone.now(), group.id],
                )
                row = cursor.fetchone()
            if row is not None:
                return int(row[0])
        else:
            cursors = RoundRobinCursor.objects.filter(group=group)
            if cursors.update(turns=F("turns") + 1, updated_at=timezone.now()):
                return cursors.values_list("turns", flat=True).get()
        try:  # the group's first turn ever: create its cursor, then take the turn
            with transaction.atomic():
                RoundRobinCursor.objects.get_or_create(group=group)
        except IntegrityError:
            pass  # a concurrent first turn created it
    raise RuntimeError(f"could not take a round-robin turn in {group.name}")


def drop_turns(sender=None, instance: Group | None = None, **_kwargs) -> None:
    """A deleted group takes its sequence with it (connected to Group's post_delete)."""
    if instance is not None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {_sequence_name(instance)}")
