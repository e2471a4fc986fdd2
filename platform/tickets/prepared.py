"""Hot reads compiled to SQL once per process.

Every completion locks its ticket (joined with its version and engine state) and reads the
open worklist rows: two fixed-shape queries whose ORM compilation cost more CPU than
running them (each selects ~50 columns through joins). A `PreparedSelect` compiles its
queryset once, with a sentinel standing for the one value that varies, then runs the SQL
with the real value and builds the objects exactly as Django's ModelIterable does (field
converters, select_related objects, annotations).

Writes of every step are built here too, once per model and shape rather than compiled
by the ORM each time: UPDATEs of known rows (`save_fields`), the action's events
(`insert_rows`), a new task row with its candidate links (`insert_with_links`); on
PostgreSQL each of these is one statement.
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


def _values(rows: list, connection) -> tuple[list, str, list]:
    """The columns, VALUES list and parameters of new rows of one model, prepared as
    Model.save prepares them (`pre_save` stamps auto_now_add columns)."""
    for row in rows:  # a related row saved after it was assigned: take its id now
        row._prepare_related_fields_for_save(operation_name="insert_rows")
    fields = [f for f in type(rows[0])._meta.concrete_fields if not f.primary_key]
    row_sql = f"({', '.join(['%s'] * len(fields))})"
    params = [f.get_db_prep_save(f.pre_save(row, True), connection) for row in rows for f in fields]
    return fields, ", ".join([row_sql] * len(rows)), params


def _inserted(rows: list, ids: list, using: str) -> None:
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding, row._state.db = False, using


def insert_rows(rows: list, using: str = "default") -> None:
    """`bulk_create(rows)` without compiling an INSERT through the ORM each time (the
    events of every action). On PostgreSQL the ids come back in the rows' order, as
    bulk_create relies on; elsewhere bulk_create itself."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        type(rows[0]).objects.using(using).bulk_create(rows)
        return
    meta = type(rows[0])._meta
    quote = connection.ops.quote_name
    fields, values, params = _values(rows, connection)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {values} RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        _inserted(rows, [pk for (pk,) in cursor.fetchall()], using)


def insert_with_links(rows: list, key: str, links=(), using: str = "default") -> None:
    """INSERT new rows of one model and their many-to-many links; sets each row's id.

    `key` names a column unique among `rows` (it maps the returned ids back); each link is
    `(through model, its column of the row, its other column, [(row, other id), ...])`.
    On PostgreSQL one statement does all (the links join the inserted rows on `key`);
    elsewhere the ORM's inserts."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        type(rows[0]).objects.using(using).bulk_create(rows)
        for through, mine, other, pairs in links:
            mine_id, other_id = (through._meta.get_field(f).attname for f in (mine, other))
            made = [through(**{mine_id: row.pk, other_id: target}) for row, target in pairs]
            through.objects.using(using).bulk_create(made, ignore_conflicts=True)
        return
    meta = type(rows[0])._meta
    quote = connection.ops.quote_name
    fields, values, params = _values(rows, connection)
    key_column, pk_column = quote(meta.get_field(key).column), quote(meta.pk.column)
    heads = [
        f"t AS (INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {values} RETURNING {pk_column}, {key_column})"
    ]
    for index, (through, mine, other, pairs) in enumerate(links):
        table = quote(through._meta.db_table)
        mine_column = quote(through._meta.get_field(mine).column)
        other_column = quote(through._meta.get_field(other).column)
        heads.append(
            f"l{index} AS (INSERT INTO {table} ({mine_column}, {other_column}) "
            f"SELECT t.{pk_column}, l.v FROM t JOIN unnest(%s::text[], %s::bigint[]) AS l(k, v) "
            f"ON t.{key_column}::text = l.k ON CONFLICT DO NOTHING)"
        )
        params += [[str(getattr(row, key)) for row, _ in pairs], [int(v) for _, v in pairs]]
    sql = f"WITH {', '.join(heads)} SELECT {pk_column}, {key_column} FROM t"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = {str(row_key): pk for pk, row_key in cursor.fetchall()}
    _inserted(rows, [ids[str(getattr(row, key))] for row in rows], using)


def insert_together(*rows, using: str = "default") -> None:
    """New rows of different models whose ids are known ahead (a ticket and its process
    instance): one statement on PostgreSQL, where foreign keys are checked at commit;
    elsewhere one INSERT each."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        for row in rows:
            row.save(force_insert=True, using=using)
        return
    quote = connection.ops.quote_name
    inserts, params = [], []
    for row in rows:
        row._prepare_related_fields_for_save(operation_name="insert_together")
        meta = type(row)._meta
        fields = meta.concrete_fields
        inserts.append(
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        params += [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    heads = [f"i{n} AS ({sql})" for n, sql in enumerate(inserts[:-1])]
    sql = f"WITH {', '.join(heads)} {inserts[-1]}" if heads else inserts[-1]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for row in rows:
        row._state.adding, row._state.db = False, using
