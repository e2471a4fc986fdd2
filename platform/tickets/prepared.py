"""Hot reads compiled to SQL once per process.

Every completion locks its ticket (joined with its version and engine state) and reads the
open worklist rows: two fixed-shape queries whose ORM compilation cost more CPU than
running them (each selects ~50 columns through joins). A `PreparedSelect` compiles its
queryset once, with a sentinel standing for the one value that varies, then runs the SQL
with the real value and builds the objects exactly as Django's ModelIterable does (field
converters, select_related objects, annotations).

Writes of every step are built here too, once per model and shape rather than compiled
by the ORM each time: UPDATEs of known rows (`save_fields`), events (`insert_rows`), new
rows with their many-to-many links (`insert_with_links`), and `write_step`, which puts a
whole step (a new ticket or the changed rows, the new tasks and their candidates, the
events) in one statement on PostgreSQL.

On PostgreSQL the hot statements (`PreparedSelect`, `write_step`) are also prepared on
the server (`execute`): once per connection and statement text, PostgreSQL parses it once
and, after a few runs, plans it once, which is most of what a one-row lookup costs there.
Named prepared statements belong to a session: a pooler in transaction mode (PgBouncer)
in front of the database would need its prepared-statement support switched on.
"""

import re
from collections import OrderedDict
from collections.abc import Callable

from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created
from django.db.models.query import get_related_populators

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
SENTINEL = -7_304_519_273  # no id is negative: it stands for the value in the template


PREPARED_PER_CONNECTION = 200  # statement texts; the least recently run is dropped
_PLACEHOLDER = re.compile(r"%([s%])")


class _Prepared:
    """The statements prepared on one database session: text → name, oldest first."""

    def __init__(self):
        self.names: OrderedDict[str, str] = OrderedDict()
        self.made = 0


def _session(connection) -> _Prepared:
    prepared = connection.__dict__.get("_flowdesk_prepared")
    if prepared is None:
        prepared = connection.__dict__["_flowdesk_prepared"] = _Prepared()
    return prepared


def _new_session(sender, connection, **kwargs) -> None:
    connection.__dict__.pop("_flowdesk_prepared", None)  # a new session has none


connection_created.connect(_new_session)


def _numbered(sql: str) -> str:
    """psycopg2's `%s` placeholders as PostgreSQL's `$1, $2…` (and `%%` as `%`)."""
    count = 0

    def number(match):
        nonlocal count
        if match.group(1) == "%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def execute(cursor, sql: str, params) -> None:
    """`cursor.execute(sql, params)`, through a statement prepared on the server on
    PostgreSQL. The first run of a text sends PREPARE and EXECUTE together (one round
    trip); if that fails, whether PREPARE took is unknown, so the text is prepared under
    a new name the next time (the old one, if any, goes with the session)."""
    connection = cursor.db
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    prepared = _session(connection)
    name = prepared.names.get(sql)
    arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
    if name is not None:
        prepared.names.move_to_end(sql)
        cursor.execute(f"EXECUTE {name}{arguments}", params)
        return
    prepared.made += 1
    name = f"flowdesk_{prepared.made}"
    head = ""
    if len(prepared.names) >= PREPARED_PER_CONNECTION:
        head = f"DEALLOCATE {prepared.names.popitem(last=False)[1]}; "
    cursor.execute(
        f"{head}PREPARE {name} AS {_numbered(sql).replace('%', '%%')}; EXECUTE {name}{arguments}",
        params,
    )
    prepared.names[sql] = name


class RowShape:
    """How rows of one compiled select become objects, worked out once: the column
    converters, the related-object populators and the annotation positions (what
    Django's ModelIterable recomputes for every query)."""

    def __init__(self, compiler, db: str):
        select, klass_info = compiler.select, compiler.klass_info
        self.db = db
        self.model = klass_info["model"]
        self.first = klass_info["select_fields"][0]
        self.last = klass_info["select_fields"][-1] + 1
        self.names = [column[0].target.attname for column in select[self.first : self.last]]
        self.populators = get_related_populators(klass_info, select, db)
        self.annotations = list(compiler.annotation_col_map.items())
        columns = [s[0] for s in select[0 : compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ValueError("a prepared select cannot read composite fields")
        self.converters = list(compiler.get_converters(columns).items())

    def objects(self, results, connection) -> list:
        model, db, names, first, last = self.model, self.db, self.names, self.first, self.last
        converters = self.converters
        objects = []
        for row in results:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[position] = value
            obj = model.from_db(db, names, row[first:last])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations:
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


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
        return RowShape(compiler, alias), sql, params, slots[0]

    def fetch(self, value: int, using: str = "default") -> list:
        value = int(value)
        if not BIGINT_MIN <= value <= BIGINT_MAX:  # as the ORM: no such id, no rows
            return []
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        shape, sql, template, slot = compiled
        params = (*template[:slot], value, *template[slot + 1 :])
        connection = connections[using]
        with connection.cursor() as cursor:
            execute(cursor, sql, params)
            results = cursor.fetchall()
        return shape.objects(results, connection)


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


def _values(rows: list, connection, mirrors=None) -> tuple[list[str], str, list]:
    """The column names, VALUES list and parameters of new rows of one model, prepared as
    Model.save prepares them (`pre_save` stamps auto_now_add columns), and the `mirrors`
    columns ({column: a value per row}) after the model's."""
    for row in rows:  # a related row saved after it was assigned: take its id now
        row._prepare_related_fields_for_save(operation_name="insert_rows")
    fields = [f for f in type(rows[0])._meta.concrete_fields if not f.primary_key]
    mirrors = mirrors or {}
    row_sql = f"({', '.join(['%s'] * (len(fields) + len(mirrors)))})"
    params = []
    for index, row in enumerate(rows):
        params += [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
        params += [values[index] for values in mirrors.values()]
    columns = [f.column for f in fields] + list(mirrors)
    return columns, ", ".join([row_sql] * len(rows)), params


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
    columns, values, params = _values(rows, connection)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"VALUES {values} RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        _inserted(rows, [pk for (pk,) in cursor.fetchall()], using)


def insert_with_links(rows: list, key: str, links=(), mirrors=None, using: str = "default") -> None:
    """INSERT new rows of one model and their many-to-many links; sets each row's id.

    `key` names a column unique among `rows` (it maps the returned ids back); each link is
    `(through model, its column of the row, its other column, [(row, other id), ...])`.
    `mirrors` ({column: a value per row}) fills PostgreSQL-only columns the ORM does not
    know, kept by triggers from the links (HumanTask.candidate_group_ids): set with the
    row, the triggers have nothing left to write.
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
    columns, values, params = _values(rows, connection, mirrors)
    key_column, pk_column = quote(meta.get_field(key).column), quote(meta.pk.column)
    heads = [
        f"t AS (INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) "
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


def write_step(
    *,
    together: list = (),
    new: tuple | None = None,
    updates: list = (),
    events: list = (),
    job=None,
    using: str = "default",
) -> None:
    """Everything a step writes, in one statement on PostgreSQL (one round trip instead
    of four; foreign keys are checked at commit there):

    - `together`: new rows whose ids are known ahead (a new ticket and its instance);
    - `new`: `(rows, key, links, mirrors)` as for `insert_with_links` (the step's new
      tasks);
    - `updates`: `(obj, fields)` as for `save_fields` (each must find its row);
    - `events`: new rows of one model (the timeline), which may point at a row of `new`;
    - `job`: a row made from the new events (tickets.notifying.EventsJob: the notification
      job), with `sql(source)` its INSERT … SELECT from the relation `source` of the new
      events (or None), `written(id)` told the new row's id (None: no row) and
      `elsewhere()` what is done instead on other databases.

    Elsewhere the ORM's statements, in that order."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        for row in together:
            row.save(force_insert=True, using=using)
        if new is not None:
            insert_with_links(*new, using=using)
        if updates:
            save_fields(*updates, using=using)
        if events:
            insert_rows(list(events), using=using)
        if job is not None:
            job.elsewhere()
        return
    step = _Step(connection)
    for row in together:
        step.insert_known(row)
    pending = step.insert_new(*new) if new is not None else {}
    expressions = [(obj, fields) for obj, fields in updates if not step.update(obj, fields)]
    late = step.insert_events(list(events), pending) if events else []
    if job is not None and events:
        step.insert_from_events(job)
    step.run(new[0] if new is not None else [], list(events))
    for row, field, target in late:  # the new task's id, now that it has one
        setattr(row, field.name, target)
    for obj, fields in expressions:  # F() and other expressions: through the ORM
        obj.save(update_fields=fields, using=using)


class _Step:
    """The WITH clauses of one step's statement and their parameters."""

    def __init__(self, connection):
        self.connection, self.quote = connection, connection.ops.quote_name
        self.heads, self.params, self.updated, self.selects = [], [], [], []
        self.key = self.new_key = self.pk_column = None
        self.known: list = []
        self.job = None

    def insert_known(self, row) -> None:
        row._prepare_related_fields_for_save(operation_name="write_step")
        meta, quote = type(row)._meta, self.quote
        fields = meta.concrete_fields
        self.heads.append(
            f"i{len(self.heads)} AS (INSERT INTO {quote(meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}))"
        )
        self.params += [f.get_db_prep_save(f.pre_save(row, True), self.connection) for f in fields]
        self.known.append(row)

    def insert_new(self, rows: list, key: str, links=(), mirrors=None) -> dict:
        """The new rows as `t` (their ids come back with their key); returns, for each
        row's identity, its key (how an event finds the id of a task it points at)."""
        if not rows:
            return {}
        meta, quote = type(rows[0])._meta, self.quote
        columns, values, params = _values(rows, self.connection, mirrors)
        self.key = key
        self.new_key, self.pk_column = quote(meta.get_field(key).column), quote(meta.pk.column)
        self.heads.append(
            f"t AS (INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) "
            f"VALUES {values} RETURNING {self.pk_column}, {self.new_key})"
        )
        self.params += params
        for index, (through, mine, other, pairs) in enumerate(links):
            table = quote(through._meta.db_table)
            mine_column = quote(through._meta.get_field(mine).column)
            other_column = quote(through._meta.get_field(other).column)
            self.heads.append(
                f"l{index} AS (INSERT INTO {table} ({mine_column}, {other_column}) "
                f"SELECT t.{self.pk_column}, l.v FROM t JOIN unnest(%s::text[], %s::bigint[]) "
                f"AS l(k, v) ON t.{self.new_key}::text = l.k ON CONFLICT DO NOTHING)"
            )
            self.params += [[str(getattr(r, key)) for r, _ in pairs], [int(v) for _, v in pairs]]
        self.selects.append(f"SELECT 1, {self.pk_column}, {self.new_key}::text FROM t")
        return {id(row): str(getattr(row, key)) for row in rows}

    def update(self, obj, fields) -> bool:
        update = _update(obj, fields, self.connection)
        if update is None:
            return False
        sql, params = update
        name = f"w{len(self.updated)}"
        self.heads.append(f"{name} AS ({sql} RETURNING 1)")
        self.params += params
        self.selects.append(f"SELECT 2, count(*), '{name}' FROM {name}")
        self.updated.append(obj)
        return True

    def insert_events(self, rows: list, pending: dict) -> list:
        """The events as `e`; a foreign key to a row of `t` is read from `t` by its key.
        Returns those links `(row, field, target)`, to be set once `t` has its ids."""
        late = []
        for row in rows:
            for field in type(row)._meta.concrete_fields:
                if not field.is_relation or not field.is_cached(row):
                    continue
                target = field.get_cached_value(row)
                if target is not None and target.pk is None and id(target) in pending:
                    late.append((row, field, target))
                    field.delete_cached_value(row)
        meta, quote = type(rows[0])._meta, self.quote
        waiting = {(id(row), field.attname): pending[id(t)] for row, field, t in late}
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        for row in rows:
            row._prepare_related_fields_for_save(operation_name="write_step")
        tuples = []
        for row in rows:
            slots = []
            for field in fields:
                key = waiting.get((id(row), field.attname))
                if key is None:
                    slots.append("%s")
                    value = field.pre_save(row, True)
                    self.params.append(field.get_db_prep_save(value, self.connection))
                else:
                    slots.append(
                        f"(SELECT {self.pk_column} FROM t WHERE {self.new_key}::text = %s)"
                    )
                    self.params.append(key)
            tuples.append(f"({', '.join(slots)})")
        self.heads.append(
            f"e AS (INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES {', '.join(tuples)} RETURNING *)"
        )
        self.selects.append(f"SELECT 0, {quote(meta.pk.column)}, NULL FROM e")
        return late

    def insert_from_events(self, job) -> None:
        made = job.sql("e")
        if made is not None:
            sql, params = made
            self.heads.append(f"j AS ({sql})")
            self.params += params
            self.selects.append("SELECT 4, id, NULL FROM j")
        self.job = job

    def run(self, new_rows: list, events: list) -> None:
        if not self.heads:
            return
        body = " UNION ALL ".join(self.selects) if self.selects else "SELECT 3, 0, NULL"
        with self.connection.cursor() as cursor:
            execute(cursor, f"WITH {', '.join(self.heads)} {body}", self.params)
            results = cursor.fetchall()
        event_ids = sorted(pk for kind, pk, _key in results if kind == 0)  # one sequence
        new_ids = {key: pk for kind, pk, key in results if kind == 1}
        missing = [name for kind, count, name in results if kind == 2 and count != 1]
        if missing:
            objects = [self.updated[int(name[1:])] for name in missing]
            names = ", ".join(f"{type(obj)._meta.label} {obj.pk}" for obj in objects)
            raise DatabaseError(f"{names}: the update found no row")
        using = self.connection.alias
        for row in self.known:
            row._state.adding, row._state.db = False, using
        if new_rows:
            _inserted(new_rows, [new_ids[str(getattr(r, self.key))] for r in new_rows], using)
        _inserted(events, event_ids, using)
        if self.job is not None:
            self.job.written(next((pk for kind, pk, _key in results if kind == 4), None))
