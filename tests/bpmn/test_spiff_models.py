"""SpiffArena models run as in SpiffArena: scenarios, script helpers, connectors, data
stores, loops (tests/fixtures/spiff/ holds models that use each feature)."""

import http.server
import io
import json
import threading

import pytest
from django.core.management import CommandError, call_command

from bpmn import http_service, services
from tests.conftest import CORPUS, FIXTURES, PROCESSES, deploy_file

pytestmark = pytest.mark.slow

SPIFF = FIXTURES / "spiff"


def run(*paths):
    out = io.StringIO()
    try:
        call_command("run_scenarios", *map(str, paths), stdout=out)
    except CommandError:
        pass
    return out.getvalue()


def test_every_spiffarena_model_passes_and_the_expected_failures_fail(corpus_script_limit):
    out = run(
        CORPUS / "spiff-examples", CORPUS / "spiff-unit" / "expected-to-pass", PROCESSES, SPIFF
    )
    assert out.strip().splitlines()[-1].endswith(" passed, 0 failed"), out
    assert "PASS" in out and "test_call_activity.json::test_case_1" in out
    assert "test_service_task.json::test_case_1" in out
    failing = run(CORPUS / "spiff-unit" / "expected-to-fail")
    assert failing.strip().splitlines()[-1] == "0 passed, 3 failed", failing
    assert "TypeError on line 2" in failing


def test_a_call_activity_needs_the_folder_of_the_called_process():
    alone = run(CORPUS / "spiff-unit" / "expected-to-pass" / "call-activity")
    assert "ManualTaskProcess" in alone and alone.strip().endswith("0 passed, 1 failed")
    both = run(
        CORPUS / "spiff-unit" / "expected-to-pass" / "call-activity",
        CORPUS / "spiff-unit" / "expected-to-pass" / "manual-task",
    )
    assert both.strip().splitlines()[-1] == "2 passed, 0 failed", both


def test_a_broken_model_elsewhere_under_the_roots_does_not_fail_a_caller(tmp_path):
    import shutil

    unit = CORPUS / "spiff-unit" / "expected-to-pass"
    for name in ("call-activity", "manual-task"):
        shutil.copytree(unit / name, tmp_path / name)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "broken.bpmn").write_text("<definitions>not bpmn")
    out = run(tmp_path)
    assert out.strip().splitlines()[-1] == "2 passed, 0 failed", out


# ---------------------------------------------------------------- script helpers


def open_task(ticket, bpmn_id):
    from tickets.actions import OPEN_STATES
    from tickets.models import HumanTask

    return HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=OPEN_STATES)


@pytest.mark.django_db
def test_script_helpers_answer_for_the_ticket_and_its_users(cast):
    from tickets import actions

    deploy_file(SPIFF / "script-helpers" / "script_helpers.bpmn")
    ticket = actions.do_start_ticket(cast["alice"], "ScriptHelpersProcess")
    ticket.refresh_from_db()
    assert ticket.data["starter"] == "alice"
    assert ticket.data["instance"] == ticket.id
    assert ticket.data["link"] == f"http://127.0.0.1:8000/tickets/{ticket.id}"
    assert ticket.data["task_link"] == f"http://127.0.0.1:8000/tickets/{ticket.id}/#task-review"
    assert ticket.data["stamp_ok"] is True and ticket.data["note"] == "default note"
    ticket = actions.do_complete_task(cast["dave"], open_task(ticket, "review").id, {})
    ticket.refresh_from_db()
    assert ticket.data["reviewer"] == "dave" and ticket.data["acting"] == "dave"
    assert ticket.data["supervisors"] == ["bob"]
    assert ticket.data["four_eyes"] is True  # the gateway condition called a helper too
    assert ticket.status == "completed"


@pytest.mark.django_db
def test_the_host_context_is_built_only_when_a_script_names_a_helper(cast, monkeypatch):
    from tickets import actions, script_context

    def no_queries_please(ticket, user):
        raise AssertionError("the helpers' context was built for a model that uses none")

    monkeypatch.setattr(script_context, "ticket_context", no_queries_please)
    deploy_file(SPIFF / "standard-loop" / "standard_loop.bpmn")
    ticket = actions.do_start_ticket(cast["alice"], "StandardLoopProcess")
    actions.do_complete_task(cast["dave"], open_task(ticket, "ask").id, {"keep_going": False})


def test_get_secret_is_refused_in_words():
    from bpmn.sandbox import SafeEnvironment, ScriptError

    with pytest.raises(ScriptError, match="get_secret is not available") as caught:
        SafeEnvironment().execute("token = get_secret('crm')", {})
    assert "Traceback" not in str(caught.value)


# ---------------------------------------------------------------- http connector operators


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length).decode() if length else ""
        if self.path.startswith("/big"):
            body = b"x" * 5000
        else:
            body = json.dumps(
                {
                    "method": self.command,
                    "path": self.path,
                    "sent": sent,
                    "auth": self.headers.get("Authorization"),
                    "host": self.headers.get("Host"),
                }
            ).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_policy():
    previous = http_service.policy()
    yield http_service.configure
    http_service.restore(previous)


def test_http_operators_call_an_allowed_local_server(local_server, http_policy):
    http_policy(allowed_hosts=("127.0.0.1",), allow_private=True)
    base = f"http://127.0.0.1:{local_server}"
    got = services.call(
        "http/GetRequest",
        {
            "url": base + "/employees",
            "params": {"id": 7},
            "basic_auth_username": "u",
            "basic_auth_password": "p",
            "headers": {"Accept": "application/json"},
        },
        {},
    )
    assert got["http_status"] == 200 and got["mimetype"] == "application/json"
    assert got["body"]["method"] == "GET" and got["body"]["path"] == "/employees?id=7"
    assert got["body"]["auth"] == "Basic dTpw"  # base64("u:p")
    posted = services.call("http/PostRequest", {"url": base + "/in", "data": {"a": 1}}, {})
    assert posted["http_status"] == 201 and json.loads(posted["body"]["sent"]) == {"a": 1}
    for name, method in (("http/PutRequest", "PUT"), ("http/DeleteRequest", "DELETE")):
        assert services.call(name, {"url": base + "/x"}, {})["body"]["method"] == method


def test_http_answers_are_cut_at_the_size_limit(local_server, http_policy):
    http_policy(allowed_hosts=("127.0.0.1",), allow_private=True, max_response_bytes=100)
    got = services.call("http/GetRequest", {"url": f"http://127.0.0.1:{local_server}/big"}, {})
    assert got["body"] == "x" * 100


def test_loopback_is_refused_unless_allowed(local_server, http_policy):
    http_policy(allowed_hosts=("127.0.0.1", "*.example.test"), allow_private=False)
    with pytest.raises(http_service.HttpServiceError, match="private or loopback") as caught:
        services.call("http/GetRequest", {"url": f"http://127.0.0.1:{local_server}/"}, {})
    assert "FLOWDESK_HTTP_ALLOWED_HOSTS" in str(caught.value)
    with pytest.raises(http_service.HttpServiceError, match="not in the list of allowed hosts"):
        services.call("http/GetRequest", {"url": "http://169.254.169.254/latest"}, {})
    http_policy(allowed_hosts=("*",))
    with pytest.raises(http_service.HttpServiceError, match=r"169\.254\.169\.254"):
        services.call("http/GetRequest", {"url": "http://169.254.169.254/latest"}, {})


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch, http_policy):
    import ipaddress

    from bpmn import net

    http_policy(allowed_hosts=("*.example.test",), allow_private=False)
    monkeypatch.setattr(net, "resolve", lambda host, port: [ipaddress.ip_address("10.0.0.5")])
    with pytest.raises(net.BadUrl, match="10.0.0.5"):
        net.vet(
            "https://api.example.test/x",
            allow_private=False,
            allowed_hosts=("*.example.test",),
            resolver=net.resolve,
        )


@pytest.mark.django_db
def test_a_ticket_runs_a_connector_task_for_real(cast, local_server, http_policy):
    from tickets import actions

    http_policy(allowed_hosts=("127.0.0.1",), allow_private=True)
    deploy_file(SPIFF / "connector" / "connector.bpmn")
    start = {"api_base": f"http://127.0.0.1:{local_server}", "employee_id": 42}
    ticket = actions.do_start_ticket(cast["alice"], "ConnectorProcess", start)
    ticket.refresh_from_db()
    assert ticket.data["status"] == 200
    assert ticket.data["employee"]["body"]["path"] == "/employees?id=42"


# ---------------------------------------------------------------- standard loops


@pytest.mark.django_db
def test_a_standard_loop_user_task_comes_back_until_its_condition_is_false(cast):
    from tickets import actions

    deploy_file(SPIFF / "standard-loop" / "standard_loop.bpmn")
    ticket = actions.do_start_ticket(cast["alice"], "StandardLoopProcess")
    ticket = actions.do_complete_task(cast["dave"], open_task(ticket, "ask").id, {"last": "a"})
    ticket = actions.do_complete_task(
        cast["dave"], open_task(ticket, "ask").id, {"last": "b", "keep_going": False}
    )
    ticket.refresh_from_db()
    assert ticket.status == "completed"
    # tested before: 3 turns of +1; no condition, maximum 4: 4 turns of +10
    assert ticket.data["count"] == 43 and ticket.data["last"] == "b"
    assert ticket.tasks.filter(bpmn_id="ask", state="done").count() == 2


# ---------------------------------------------------------------- data stores

STORES = SPIFF / "data-stores"


def deploy_stores_model(process_id="DataStoresProcess"):
    from definitions.deploy import deploy_bundle

    text = (STORES / "data_stores.bpmn").read_text().replace("DataStoresProcess", process_id)
    files = {"settings.json": (STORES / "settings.json").read_text()}
    return deploy_bundle("data_stores.bpmn", text, files)[0]


@pytest.mark.django_db
def test_data_stores_are_shared_by_the_tickets_of_a_process_group(cast):
    from definitions.models import DataStoreEntry
    from tickets import actions

    deploy_stores_model()
    first = actions.do_start_ticket(cast["alice"], "DataStoresProcess")
    first.refresh_from_db()
    assert first.status == "completed" and first.data["number"] == 1
    assert first.data["before"] is None and first.data["sla_hours"] == 4
    assert "contacts" not in first.data and "counters" not in first.data
    second = actions.do_start_ticket(cast["alice"], "DataStoresProcess")
    second.refresh_from_db()
    assert second.data["number"] == 2  # the JSON store kept the first ticket's count
    assert second.data["before"] == "123"  # the KKV entry the first ticket left
    assert second.data["sla_hours"] == 8  # the JSON file store, written back doubled
    rows = {
        (r.kind, r.scope, r.store, r.top_key, r.second_key): r.value
        for r in DataStoreEntry.objects.all()
    }
    assert rows == {
        ("json", "", "counters", "", ""): {"tickets": 2},
        ("kkv", "", "contacts", "acme", "phone"): "123",
        ("json_file", "", "settings", "", ""): {"sla_hours": 16},
    }


@pytest.mark.django_db
def test_another_process_group_has_its_own_stores(cast):
    from tickets import actions

    deploy_stores_model("support.DataStores")
    deploy_stores_model("billing.DataStores")
    actions.do_start_ticket(cast["alice"], "support.DataStores")
    support = actions.do_start_ticket(cast["alice"], "support.DataStores")
    billing = actions.do_start_ticket(cast["alice"], "billing.DataStores")
    support.refresh_from_db()
    billing.refresh_from_db()
    assert support.data["number"] == 2 and billing.data["number"] == 1


def test_a_kkv_write_must_be_a_mapping_of_mappings():
    from bpmn import datastores

    stores = datastores.MemoryStorage()
    spec = datastores.KKVDataStore("contacts", "KKVDataStore")

    class Task:
        data = {"contacts": {"acme": "not a mapping"}}

    with datastores.running_in("", stores), pytest.raises(datastores.DataStoreError) as caught:
        spec.set(Task())
    assert "contacts['acme'] must be a mapping" in str(caught.value)
    assert datastores.scope_for("support/repair") == "support"
    assert datastores.scope_for("support.billing.refund") == "support.billing"
    assert datastores.scope_for("repair") == ""


# ---------------------------------------------------------------- DMN dialects (issue 12 item 3)

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def dmn_file(output: str, *, exporter: str = "", language: str = "") -> str:
    """A DMN 1.3 table as the modelers write it: one input `items`, any rule, one output."""
    exporter_attr = f' exporter="{exporter}" exporterVersion="5.20.0"' if exporter else ""
    language_attr = f' expressionLanguage="{language}"' if language else ""
    return (
        f'<definitions xmlns="{DMN13}" id="defs" name="DRD" '
        f'namespace="http://camunda.org/schema/1.0/dmn"{exporter_attr}>'
        '<decision id="d" name="Pick"><decisionTable id="t">'
        f'<input id="i1"><inputExpression id="ie1" typeRef="string"{language_attr}>'
        "<text>items</text></inputExpression></input>"
        '<output id="o1" name="picked"/>'
        '<rule id="r1"><inputEntry id="e1"><text>-</text></inputEntry>'
        f'<outputEntry id="x1"><text>{output}</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>"
    )


def pick(xml: str):
    from bpmn.dmn import parse_dmn

    return parse_dmn(xml, "pick.dmn").get("d").evaluate({"items": ["a", "b", "c"]}).value


@pytest.mark.parametrize("exporter", ["Camunda Modeler", "dmn-js (https://demo.bpmn.io/dmn)"])
def test_a_camunda_or_dmn_js_file_is_feel_even_where_the_text_parses_as_python(exporter):
    from bpmn.dmn import DmnError

    assert pick(dmn_file("items[1]", exporter=exporter)) == "a"  # FEEL lists start at 1
    with pytest.raises(DmnError) as caught:  # Python only: an error naming the decision
        pick(dmn_file("items[0] if items else None", exporter=exporter))
    assert "pick.dmn" in str(caught.value) and "Traceback" not in str(caught.value)


def test_a_spiffarena_file_keeps_python_cells_even_when_saved_by_camunda_modeler():
    # SpiffArena's own files mark their expressions as Python (some carry Camunda
    # Modeler's exporter attribute too): Python first, through the sandbox.
    marked = dmn_file("items[1]", exporter="Camunda Modeler", language="python")
    assert pick(marked) == "b"
    assert pick(dmn_file("items[0] if items else None", language="python")) == "a"
    assert pick(dmn_file('"fixed"', language="python")) == "fixed"


def test_an_unmarked_dmn_13_file_is_feel_first_then_python():
    assert pick(dmn_file("items[1]")) == "a"
    assert pick(dmn_file("items[0] if items else None")) == "a"


def test_the_dialect_is_read_from_the_file():
    from bpmn.dmn_xml import expression_dialect
    from bpmn.xmlsafe import parse_xml

    def dialect(xml):
        return expression_dialect(parse_xml(xml, "x.dmn"))

    assert dialect(dmn_file("1", exporter="Camunda Modeler")) == "feel"
    assert dialect(dmn_file("1", exporter="dmn-js")) == "feel"
    assert dialect(dmn_file("1", exporter="Camunda Modeler", language="python")) == "python"
    assert dialect(dmn_file("1")) == "mixed"
    spiff = next((CORPUS / "spiff-examples").rglob("pizza_price.dmn")).read_text()
    assert dialect(spiff) == "mixed"
    dmn15 = dmn_file("1").replace(DMN13, "https://www.omg.org/spec/DMN/20230324/MODEL/")
    assert dialect(dmn15) == "feel"
