"""Hot reads compiled to SQL once per process.

Every completion locks its ticket (joined with its version and engine state) and reads the
open worklist rows: two fixed-shape queries whose ORM compilation cost more CPU than
running them (each selects ~50 columns through joins). A `PreparedSelect` compiles its
queryset once, with a sentinel standing for the one value that varies, then runs the SQL
with the real value and builds the objects exactly as Django's ModelIterable does (field
converters, select_related objects, annotations).
"""

from collections.abc import Callable

from django.db import DatabaseError, connections
from django.db.models.query import get_related_populators

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
SENTINEL = -7_304_519_273  # no id is negative: it stands for the value in the template


class PreparedSelect:
    def __init__(self, build: Callable[[int], object]):
        """`build(value)` returns the queryset for one value (an id)."""
        self._build = build
        self._compiled: dict[str, tuple] = {}

    def _compile(self, alias: str):
        queryset = self._build(SENTINEL)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = tuple(params)
        slots = [i for i, value in enumerate(params) if value == SENTINEL]
        if len(slots) != 1:
            raise ValueError("a prepared select takes exactly one varying value")
        return compiler, sql, params, slots[0]

    def fetch(self, value: int, using: str = "default") -> list:
        value = int(value)
        if not BIGINT_MIN <= value <= BIGINT_MAX:  # as the ORM: no such id, no rows
            return []
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        compiler, sql, template, slot = compiled
        params = (*template[:slot], value, *template[slot + 1 :])
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            results = cursor.fetchall()
        return self._objects(compiler, results, using)

    @staticmethod
    def _objects(compiler, results, db: str) -> list:
        select, klass_info = compiler.select, compiler.klass_info
        annotations = compiler.annotation_col_map
        model = klass_info["model"]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in select[first:last]]
        populators = get_related_populators(klass_info, select, db)
        objects = []
        for row in compiler.results_iter([results]):
            obj = model.from_db(db, names, row[first:last])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


_UPDATES: dict[tuple, str] = {}


def _update(obj, fields, connection) -> tuple[str, list] | None:
    """The UPDATE of these columns of this row (None: a value is an expression)."""
    meta = type(obj)._meta
    columns = [meta.get_field(name) for name in fields]
    raw = [field.pre_save(obj, False) for field in columns]
    if any(hasattr(value, "resolve_expression") for value in raw):
        return None
    key = (meta.label, tuple(fields), connection.alias)
    sql = _UPDATES.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        sets = ", ".join(f"{quote(field.column)} = %s" for field in columns)
        sql = _UPDATES[key] = (
            f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"
        )
    values = [
        field.get_db_prep_save(value, connection) for field, value in zip(columns, raw, strict=True)
    ]
    return sql, [*values, meta.pk.get_db_prep_value(obj.pk, connection)]


def save_fields(*rows: tuple, using: str = "default") -> None:
    """`obj.save(update_fields=fields)` for each `(obj, fields)` of the engine path without
    compiling an UPDATE each time: a statement is built once per model and field list;
    values are prepared as Model.save prepares them (`pre_save` stamps auto_now columns).
    No model on this path has save signals. On PostgreSQL several rows go in one statement
    (the first ones as data-modifying WITH clauses); each must find its row."""
    connection = connections[using]
    updates = []
    for obj, fields in rows:
        update = _update(obj, fields, connection)
        if update is None:  # F() and other expressions: through the ORM
            obj.save(update_fields=fields)
        else:
            updates.append((obj, update))
    if connection.vendor == "postgresql" and len(updates) > 1:
        heads = [f"w{i} AS ({sql} RETURNING 1)" for i, (_o, (sql, _p)) in enumerate(updates[:-1])]
        found = " AND ".join(f"(SELECT count(*) FROM w{i}) = 1" for i in range(len(heads)))
        last_sql, last_params = updates[-1][1]
        sql = f"WITH {', '.join(heads)} {last_sql} AND {found}"
        params = [p for _obj, (_sql, part) in updates for p in part]
        _execute(connection, sql, params, [obj for obj, _update in updates])
        return
    for obj, (sql, params) in updates:
        _execute(connection, sql, params, [obj])


def _execute(connection, sql: str, params: list, objects: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != 1:
            names = ", ".join(f"{type(obj)._meta.label} {obj.pk}" for obj in objects)
            raise DatabaseError(f"{names}: the update found no row")
