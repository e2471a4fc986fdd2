"""The dashboard page: who may see it, what it shows, and CSV exports equal to its tables."""

import csv
import io
from html.parser import HTMLParser

import pytest

from tests.analytics.history import build
from tests.conftest import PROCESSES, deploy_file, make_cast, read_cast
from tickets.models import Ticket

RANGE = "from=2026-11-20&to=2026-11-24"


@pytest.fixture(scope="module")
def history_made_once(module_transaction, django_db_blocker):
    """The cast, the repair process and the history, made once for the module: the pages
    only read them (each test in its own savepoint, rolled back after it)."""
    with django_db_blocker.unblock():
        made = build(deploy_file(PROCESSES / "repair.bpmn"), make_cast())
        return {key: ticket.id for key, ticket in made.items()}


@pytest.fixture
def cast(db, history_made_once):
    return read_cast()


@pytest.fixture
def history(cast, history_made_once):
    return {key: Ticket.objects.get(id=id_) for key, id_ in history_made_once.items()}


class _Tables(HTMLParser):
    """The text of each `<table data-table=…>` of a page, cell by cell."""

    def __init__(self):
        super().__init__()
        self.tables, self._name, self._row, self._cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self._name = attrs["data-table"]
            self.tables[self._name] = []
        elif self._name and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self._name = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._name].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _page(client, user, query=RANGE):
    client.force_login(user)
    return client.get(f"/analytics/?{query}")


def test_supervisor_sees_the_numbers(client, cast, history):
    response = _page(client, cast["bob"])
    assert response.status_code == 200
    parser = _Tables()
    parser.feed(response.content.decode())
    total = parser.tables["trend"]
    assert total[0][:3] == ["Period", "Created", "Resolved"]
    by_channel = {row[0]: row for row in parser.tables["channel"][1:]}
    assert by_channel["Web form"][1:3] == ["2", "1"]
    assert by_channel["Phone"][1:3] == ["1", "1"]
    agents = {row[0]: row for row in parser.tables["agent"][1:]}
    # Avg first response (h) is the 6th column; CSAT the last.
    assert agents["alice"][5] == "65.0" and agents["alice"][-1] == "5.0"
    tiers = {row[0] for row in parser.tables["tier"][1:]}
    assert tiers == {"Gold", "Standard", "No customer"}
    nodes = {(row[0], row[1]): row for row in parser.tables["nodes"][1:]}
    repair_name = "Home appliance repair"  # its English name (the model gives both)
    assert nodes[(repair_name, "Diagnose")][2:4] == ["2", "34.0"]
    assert nodes[(repair_name, "Repair")][-1] == "1"
    body = response.content.decode()
    for raw in ("sla_breached", "task_completed", "webform<", "True", "{&#x27;"):
        assert raw not in body
    assert "<script>alert(1)" not in body  # the rating comment is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt; slow" in body
    assert 'id="analytics-charts" type="application/json"' in body
    assert "vendor/chart.umd.min.js" in body


@pytest.mark.parametrize(
    "table",
    [
        "trend",
        "agent",
        "group",
        "template",
        "channel",
        "tier",
        "sla",
        "csat",
        "nodes",
        "low_ratings",
        "backlog",
    ],
)
def test_csv_matches_the_table(client, cast, history, table):
    page = _page(client, cast["bob"])
    parser = _Tables()
    parser.feed(page.content.decode())
    response = client.get(f"/analytics/?{RANGE}&format=csv&table={table}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    html_rows = parser.tables[table]
    if len(html_rows) == 2 and len(html_rows[1]) == 1:  # "No data in this period."
        html_rows = html_rows[:1]
    assert rows == html_rows
    assert len(rows) > 1 or table == "low_ratings"


def test_agent_is_refused(client, cast, history):
    assert _page(client, cast["alice"]).status_code == 403


def test_anonymous_goes_to_login(client, db):
    response = client.get("/analytics/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admin_sees_it(client, cast, history):
    assert _page(client, cast["dave"], "days=7&period=week").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "days=8",
        "days=x",
        "from=2026-13-01",
        "from=2026-11-24&to=2026-11-20",
        "from=2020-01-01&to=2026-11-20",
        "period=year",
        "format=pdf",
        "format=csv&table=nope",
    ],
)
def test_bad_parameters_are_400(client, cast, query):
    response = _page(client, cast["bob"], query)
    assert response.status_code == 400
    assert b"Traceback" not in response.content


def test_chinese_labels(client, cast, history, settings):
    from django.utils import translation

    from analytics.tables import build as build_tables
    from analytics.views import parse_range
    from tickets.visibility import Reader

    first, last = parse_range({"from": "2026-11-20", "to": "2026-11-24"})
    with translation.override("zh-hans"):
        tables = build_tables(first, last, "day", Reader.staff(cast["bob"]), only="channel")
        assert str(tables[0].headers[1]) == "新建"
        assert {row[0].text for row in tables[0].rows} == {"网页表单", "电话"}
        # templates, groups and steps by their Chinese names, not the model's codes
        [template] = build_tables(first, last, "day", Reader.staff(cast["bob"]), only="template")
        assert {row[0].text for row in template.rows} == {"上门维修"}
        [nodes] = build_tables(first, last, "day", Reader.staff(cast["bob"]), only="nodes")
        assert {row[0].text for row in nodes.rows} == {"上门维修"}
        [groups] = build_tables(first, last, "day", Reader.staff(cast["bob"]), only="group")
        group_names = {row[0].text for row in groups.rows}
        assert group_names and not group_names & {"agents", "technicians", "dispatchers"}
