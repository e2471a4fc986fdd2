"""The decision pages as a process owner uses them, and closed to everyone else."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from definitions import authoring, decisions
from definitions.models import DecisionVersion
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

TRIAGE = (ROOT / "dmn" / "triage.dmn").read_text()
VIP_IS_3 = TRIAGE.replace(
    '<outputEntry id="triage_r1_o1"><text>4</text></outputEntry>',
    '<outputEntry id="triage_r1_o1"><text>3</text></outputEntry>',
)
VIP_ROW = {
    "name": "VIP",
    "inputs": {"customer_tier": "VIP", "category": "tv"},
    "expected": {"priority": "3", "sla_hours": "2"},
}


@pytest.fixture
def owner_client(client, olga):
    client.force_login(olga)
    return client


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_list_shows_every_decision_its_live_version_and_who_uses_it(owner_client, repair):
    html = owner_client.get("/decisions/").content.decode()
    assert "Triage" in html and "Assignment" in html and "Settlement pricing" in html
    triage_row = html[html.index(">Triage<") : html.index("</tr>", html.index(">Triage<"))]
    assert "version 1" in triage_row and "Home appliance repair" in triage_row
    assignment_row = html[html.index(">Assignment<") :]
    assert "the file as shipped" in assignment_row[: assignment_row.index("</tr>")]
    assert "Task assignment" in assignment_row[: assignment_row.index("</tr>")]


def test_the_list_reads_a_fixed_number_of_queries_however_many_versions(owner_client, olga, repair):
    owner_client.get("/decisions/")
    with CaptureQueriesContext(connection) as few:
        owner_client.get("/decisions/")
    for number in range(5):
        draft = authoring.do_start_draft("triage", olga)
        authoring.do_save_draft(
            draft, TRIAGE.replace("<text>8</text>", f"<text>{9 + number}</text>"), [], olga
        )
        authoring.do_publish_draft(draft, olga)
    authoring.do_start_draft("assignment", olga)
    owner_client.get("/decisions/")
    with CaptureQueriesContext(connection) as many:
        owner_client.get("/decisions/")
    assert len(many) == len(few)


def test_the_decision_page_shows_history_and_the_diff_in_words(owner_client, olga, repair):
    draft = authoring.do_save_draft(
        authoring.do_start_draft("triage", olga), VIP_IS_3, [VIP_ROW], olga
    )
    authoring.do_publish_draft(draft, olga)
    html = owner_client.get("/decisions/triage/").content.decode()
    assert "Version 2 is live." in html
    assert "olga published version 2" in html and "(replacing version 1)" in html
    assert "Rule 1 changed" in html and "VIP customers jump the queue" in html
    assert "<del><code>4</code></del>" in html and "<ins><code>3</code></ins>" in html
    assert "3 other rules are unchanged." in html
    assert "Roll back to version 1" in html
    assert "True" not in html and "False" not in html


def test_save_refuses_a_broken_table_with_a_400_and_keeps_the_draft(owner_client, olga, repair):
    draft = authoring.do_start_draft("triage", olga)
    url = f"/decisions/triage/v{draft.version}/save"
    broken = post_json(
        owner_client, url, {"xml": TRIAGE.replace("<text>4</text>", "<text>4 +</text>"), "rows": []}
    )
    assert broken.status_code == 400
    assert broken.json()["errors"][0].startswith("The table cannot be used:")
    assert post_json(owner_client, url, {"rows": []}).status_code == 400
    assert owner_client.post(url, "not json", content_type="application/json").status_code == 400
    assert DecisionVersion.objects.get(id=draft.id).dmn_xml == TRIAGE
    saved = post_json(owner_client, url, {"xml": VIP_IS_3, "rows": [VIP_ROW]})
    assert saved.status_code == 200 and saved.json()["message"] == "Draft saved."
    assert DecisionVersion.objects.get(id=draft.id).test_cases[0]["expected"]["priority"] == 3


def test_run_evaluates_the_table_as_edited_without_storing_it(owner_client, olga, repair):
    draft = authoring.do_start_draft("triage", olga)
    url = f"/decisions/triage/v{draft.version}/run"
    failing = post_json(owner_client, url, {"xml": TRIAGE, "rows": [VIP_ROW]}).content.decode()
    assert "Row 1 (VIP): failed" in failing
    assert "priority: expected 3, but the table gives 4" in failing
    assert "sla_hours: 2, as expected" in failing and "0 of 1 test row passes." in failing
    passing = post_json(owner_client, url, {"xml": VIP_IS_3, "rows": [VIP_ROW]}).content.decode()
    assert "Row 1 (VIP): passed" in passing and "1 of 1 test row passes." in passing
    assert DecisionVersion.objects.get(id=draft.id).test_cases == []
    bad = post_json(owner_client, url, {"xml": TRIAGE, "rows": [{"expected": {"priority": "x"}}]})
    assert bad.status_code == 400 and "Row 1, priority: “x” is not a number" in bad.content.decode()


def test_publish_from_the_page_is_refused_naming_the_failing_row(owner_client, olga, repair):
    draft = authoring.do_save_draft(
        authoring.do_start_draft("triage", olga), TRIAGE, [VIP_ROW], olga
    )
    refused = owner_client.post(f"/decisions/triage/v{draft.version}/publish")
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Not published: these test rows fail." in html and "Row 1 (VIP): failed" in html
    assert decisions.published("triage").version == 1

    authoring.do_save_draft(draft, VIP_IS_3, [VIP_ROW], olga)
    published = owner_client.post(f"/decisions/triage/v{draft.version}/publish", follow=True)
    assert "Version 2 is now live." in published.content.decode()
    back = owner_client.post("/decisions/triage/v1/rollback", follow=True).content.decode()
    assert "Version 1 is live again." in back and "Version 1 is live." in back
    assert decisions.published("triage").version == 1


def test_the_draft_page_offers_the_editor_rows_and_the_pricing_impact(owner_client, olga):
    draft = authoring.do_start_draft("settlement_pricing", olga)
    html = owner_client.get(f"/decisions/settlement_pricing/v{draft.version}/").content.decode()
    assert "data-dmn-editor" in html and 'data-decision-id="settlement_pricing"' in html
    assert f"/pricing/simulate/?version={draft.version}" in html
    assert "<h1>Settlement pricing adjustments: draft version" in html  # one language a reader
    zh = owner_client.get(
        f"/decisions/settlement_pricing/v{draft.version}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "结算调价" in zh and "Settlement pricing adjustments" not in zh
    xml = owner_client.get(f"/decisions/settlement_pricing/v{draft.version}/dmn")
    assert xml["Content-Type"].startswith("application/xml") and b"sp_table" in xml.content
    assert (
        "/pricing/simulate/"
        not in owner_client.get(
            f"/decisions/triage/v{authoring.do_start_draft('triage', olga).version}/"
        ).content.decode()
    )


def test_agents_supervisors_and_finance_get_403_everywhere(client, cast, olga, repair):
    draft = authoring.do_start_draft("triage", olga)
    pages = [
        "/decisions/",
        "/decisions/triage/",
        f"/decisions/triage/v{draft.version}/",
        f"/decisions/triage/v{draft.version}/dmn",
    ]
    actions = [
        "/decisions/triage/draft/",
        f"/decisions/triage/v{draft.version}/save",
        f"/decisions/triage/v{draft.version}/run",
        f"/decisions/triage/v{draft.version}/publish",
        "/decisions/triage/v1/rollback",
    ]
    for name in ("alice", "bob", "carol"):
        client.force_login(cast[name])
        assert {client.get(url).status_code for url in pages} == {403}
        assert {client.post(url).status_code for url in actions} == {403}
    assert DecisionVersion.objects.filter(decision_id="triage").count() == 2
    client.logout()
    assert client.get("/decisions/").status_code == 302


def test_only_the_editor_page_lets_style_attributes_and_its_nonced_style_block_in(
    owner_client, olga
):
    draft = authoring.do_start_draft("triage", olga)
    editor = owner_client.get(f"/decisions/triage/v{draft.version}/")
    policy = editor["Content-Security-Policy"]
    nonce = editor.content.decode().split('data-style-nonce="')[1].split('"')[0]
    assert len(nonce) >= 16 and f"'nonce-{nonce}'" in policy
    assert "style-src-attr 'unsafe-inline'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("style-src-attr")[0]  # scripts, style blocks
    again = owner_client.get(f"/decisions/triage/v{draft.version}/")
    assert nonce not in again["Content-Security-Policy"]  # a new nonce per response
    page = owner_client.get("/decisions/triage/")["Content-Security-Policy"]
    assert "style-src-attr" not in page and "nonce-" not in page


def test_the_decision_page_reads_a_fixed_number_of_queries(owner_client, olga, repair):
    def publish_edit(number):
        draft = authoring.do_start_draft("triage", olga)
        xml = TRIAGE.replace("<text>8</text>", f"<text>{9 + number}</text>")
        authoring.do_publish_draft(authoring.do_save_draft(draft, xml, [], olga), olga)

    publish_edit(0)
    owner_client.get("/decisions/triage/")
    with CaptureQueriesContext(connection) as few:
        owner_client.get("/decisions/triage/")
    for number in range(1, 6):
        publish_edit(number)
    decisions.do_rollback_decision("triage", 2, olga)
    owner_client.get("/decisions/triage/")  # reference data cached again after the changes
    with CaptureQueriesContext(connection) as many:
        html = owner_client.get("/decisions/triage/").content.decode()
    assert "olga rolled back to version 2 (replacing version 7)" in html
    assert len(many) == len(few), [q["sql"][:150] for q in many.captured_queries]
