"""The cast: alice the agent/dispatcher, tom the technician, bob the supervisor, carol in
finance, dave the admin. Processes come from processes/ and dmn/ as a user deploys them."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
PROCESSES = ROOT / "processes"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CAST = ("alice", "tom", "bob", "carol", "dave")


def pytest_configure(config):
    """Test users need no key stretching: full-strength PBKDF2 made the suite 9 minutes."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _flush_by_delete()


def _flush_by_delete():
    """A transactional test ends with a flush of every table. On PostgreSQL Django flushes
    with one TRUNCATE of all ~80 tables: half a second each time, the same whether they hold
    rows or not, some 80 s of the suite. A test leaves a few rows, which DELETE clears in
    milliseconds; every foreign key is DEFERRABLE INITIALLY DEFERRED (Django's own), so the
    order does not matter within the flush's transaction. Sequences are not reset either way
    (reset_sequences=True keeps TRUNCATE … RESTART IDENTITY).

    The content types and permissions stay: the flush's post_migrate signal would write the
    same rows again (no test makes its own), at twice the cost of finding them there."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush
    kept = {"django_content_type", "auth_permission"}

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        delete = style.SQL_KEYWORD("DELETE FROM")
        return [f"{delete} {self.quote_name(t)};" for t in tables if t not in kept]

    DatabaseOperations.sql_flush = sql_flush


def pytest_collection_modifyitems(items):
    """Long files first: `make test` hands whole files to its two workers in this order
    (--no-loadscope-reorder), so a browser or fuzz file that came last ran alone at the end
    while the other worker idled. Then files with more tests before files with fewer."""
    per_file: dict[str, list] = {}
    for item in items:
        per_file.setdefault(item.nodeid.split("::")[0], []).append(item)

    def weight(tests):
        long = any(t.get_closest_marker("e2e") or t.get_closest_marker("slow") for t in tests)
        return (not long, -len(tests))

    items[:] = [item for tests in sorted(per_file.values(), key=weight) for item in tests]


def _user(username, groups=(), superuser=False):
    user = User.objects.create_user(username, password="pw", is_staff=True, is_superuser=superuser)
    user.groups.set([Group.objects.get_or_create(name=g)[0] for g in groups])
    return user


def make_cast() -> dict[str, User]:
    return {
        "alice": _user("alice", ["agents", "dispatchers"]),
        "tom": _user("tom", ["technicians"]),
        "bob": _user("bob", ["supervisors", "agents"]),
        "carol": _user("carol", ["finance"]),
        "dave": _user("dave", superuser=True),
    }


@pytest.fixture
def cast(db):
    return make_cast()


def read_cast() -> dict[str, User]:
    """The cast that make_cast made, as the database holds it now: fresh instances for a test
    of a module that made it once (module_transaction)."""
    return {user.username: user for user in User.objects.filter(username__in=CAST)}


@pytest.fixture(scope="module")
def module_transaction(django_db_setup, django_db_blocker):
    """One transaction around a module's tests, rolled back after its last: what a module
    fixture writes in it (the demo, say) is there for every test of the module, each of
    which runs in its own savepoint on top (pytest-django's `db`, as Django's TestCase does
    over setUpTestData) and so leaves it as it found it. Only for modules whose tests all
    use `db`: a `transactional_db` test's flush would empty it."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def deploy_file(bpmn_path: Path, user=None):
    from definitions.deploy import deploy_bundle, read_bundle_folder

    name, text, files = read_bundle_folder(bpmn_path)
    return deploy_bundle(name, text, files, user)[0]


@pytest.fixture
def repair(db):
    """The repair ticket process, deployed from processes/repair.bpmn."""
    return deploy_file(PROCESSES / "repair.bpmn")


@pytest.fixture(autouse=True)
def _default_notification_rules(request):
    """A migration seeds the default notification rules; a transactional test's flush
    removes them. Every database test starts with them, whatever ran before it (tests run
    in two processes, so the order differs from run to run)."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        for fixture in ("transactional_db", "db"):  # database access first
            if fixture in request.fixturenames:
                request.getfixturevalue(fixture)
                break
        from notify.default_rules import seed_rules
        from notify.models import NotificationRule, RuleTemplate

        if not NotificationRule.objects.exists():
            seed_rules(NotificationRule, RuleTemplate)
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (English): a request in Chinese leaves its
    language active in the thread, which changed what the next test in that worker read."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_spec_cache():
    from definitions import refdata
    from definitions.deploy import SPEC_CACHE
    from tickets import live

    SPEC_CACHE.clear()
    live.clear()
    refdata.clear()  # each test's database starts from the same token: forget the last's data
    yield


def row_versions_written(table: str, call) -> int:
    """Row versions of `table` that `call` writes (PostgreSQL's count for this backend,
    exact within its transaction)."""
    from django.db import connection

    query = "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s"
    with connection.cursor() as cursor:
        cursor.execute(query, [table])
        before = cursor.fetchone()[0]
        call()
        cursor.execute(query, [table])
        return cursor.fetchone()[0] - before


def repair_start(**overrides):
    """Start data of a repair ticket as the intake form sends it (Wang Fang, our customer)."""
    data = {
        "customer_name": "Wang Fang",
        "customer_phone": "13812341234",
        "customer_tier": "standard",
        "category": "tv",
        "region": "tier2",
    }
    return {**data, **overrides}
