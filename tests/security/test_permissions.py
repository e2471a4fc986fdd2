"""Who may deploy, publish and roll back: every Django permission the code checks exists, and
the API lets exactly the permitted users (and their tokens with the right scope) through."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from definitions import authoring
from definitions.models import DecisionEvent, DecisionVersion, ProcessVersion
from tests.conftest import PROCESSES, ROOT, _user
from tests.integrations.support import post, session_client, token_client, token_for

pytestmark = pytest.mark.django_db

SOURCE = Path(__file__).resolve().parents[2] / "platform"
# "app_label.codename" as code names a permission: has_perm("x.y"), has_perms(["x.y"]),
# permission_required("x.y"), a constant holding a model permission ("x.add_y"),
# {{ perms.x.y }} in templates
PERM_CALL = re.compile(
    r"""(?:has_perms?|permission_required)\(\s*\[?\s*["'](\w+\.\w+)["']"""
    r"""|["'](\w+\.(?:add|change|delete|view)_\w+)["']"""
)
PERM_TEMPLATE = re.compile(r"\bperms\.(\w+)\.(\w+)")
CODENAME_GET = re.compile(r"""Permission\.objects\.get\(\s*codename=["'](\w+)["']""")


def _permission_names_in_code() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    files = [*SOURCE.rglob("*.py"), *(ROOT / "web" / "templates").rglob("*.html")]
    for path in files:
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        names = [a or b for a, b in PERM_CALL.findall(text)] + [
            f"{a}.{c}" for a, c in PERM_TEMPLATE.findall(text)
        ]
        names += [f"*.{c}" for c in CODENAME_GET.findall(text)]
        for name in names:
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_permission_the_code_checks_exists_after_migrate():
    used = _permission_names_in_code()
    assert "definitions.add_processversion" in used  # the walk finds the deploy check
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    codenames = {name.split(".")[1] for name in existing}
    missing = {
        name: where
        for name, where in used.items()
        if not (name in existing or (name.startswith("*.") and name[2:] in codenames))
    }
    assert missing == {}, f"permissions checked in code but never created: {missing}"


def _bundle():
    from definitions.deploy import read_bundle_folder

    name, text, files = read_bundle_folder(PROCESSES / "repair.bpmn")
    return {"bpmn_filename": name, "bpmn": text, "files": files}


@pytest.fixture
def deployer(cast):
    """Bob may deploy: the Django permission, as load_demo grants it."""
    bob = cast["bob"]
    bob.user_permissions.add(Permission.objects.get(codename="add_processversion"))
    return bob


def test_a_user_with_the_deploy_permission_deploys_by_session_and_by_token(deployer):
    response = post(session_client(deployer), "/api/v1/processes", _bundle())
    assert response.status_code == 201, response.content
    token = token_client(token_for(deployer, "processes:deploy"))
    assert post(token, "/api/v1/processes", _bundle()).status_code == 200  # unchanged bundle
    assert ProcessVersion.objects.get(key="repair").published_by == deployer


def test_deploying_without_the_permission_is_refused_with_who_and_why(cast):
    for client in (
        session_client(cast["alice"]),
        token_client(token_for(cast["alice"], "processes:deploy")),
    ):
        response = post(client, "/api/v1/processes", _bundle())
        assert response.status_code == 403
        assert response.json() == {
            "detail": "alice may not deploy processes "
            "(needs the permission definitions.add_processversion)"
        }
    assert not ProcessVersion.objects.exists()


def test_a_deployer_token_without_the_deploy_scope_is_refused(deployer):
    token = token_client(token_for(deployer, "processes:read"))
    response = post(token, "/api/v1/processes", _bundle())
    assert response.status_code == 403
    assert response.json() == {"detail": "token lacks scope processes:deploy"}
    assert not ProcessVersion.objects.exists()


TRIAGE = (ROOT / "dmn" / "triage.dmn").read_text()
VIP_IS_3 = TRIAGE.replace(
    '<outputEntry id="triage_r1_o1"><text>4</text></outputEntry>',
    '<outputEntry id="triage_r1_o1"><text>3</text></outputEntry>',
)
VIP_ROW = {
    "name": "VIP television",
    "inputs": {"customer_tier": "VIP", "category": "tv"},
    "expected": {"priority": "3", "sla_hours": "2"},
}


@pytest.fixture
def olga(db):
    return _user("olga", ["process_owners"])


@pytest.fixture
def triage_draft(olga, repair):
    draft = authoring.do_start_draft("triage", olga)
    return authoring.do_save_draft(draft, VIP_IS_3, [VIP_ROW], olga)


PUBLISH = "/api/v1/decisions/triage/versions/{}/publish"
ROLLBACK = "/api/v1/decisions/triage/versions/{}/rollback"


def _live() -> int:
    return DecisionVersion.objects.get(decision_id="triage", status="published").version


def test_a_process_owner_publishes_and_rolls_back_with_a_token(olga, triage_draft):
    client = token_client(token_for(olga, "decisions:publish"))
    response = post(client, PUBLISH.format(2), {})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published" and _live() == 2
    response = post(client, ROLLBACK.format(1), {})
    assert response.status_code == 200, response.content
    assert _live() == 1
    kinds = DecisionEvent.objects.filter(actor=olga).order_by("id").values_list("kind", flat=True)
    assert list(kinds) == ["published", "rolled_back"]


def test_publish_and_rollback_are_refused_to_agents_and_to_tokens_lacking_the_scope(
    cast, olga, triage_draft
):
    alice = cast["alice"]
    for client in (session_client(alice), token_client(token_for(alice, "decisions:publish"))):
        for url in (PUBLISH.format(2), ROLLBACK.format(1)):
            response = post(client, url, {})
            assert response.status_code == 403, url
            assert response.json() == {
                "detail": "alice may not publish decisions (process owners and administrators only)"
            }
    response = post(token_client(token_for(olga, "processes:deploy")), PUBLISH.format(2), {})
    assert response.json() == {"detail": "token lacks scope decisions:publish"}
    assert _live() == 1


def test_publish_refuses_failing_rows_and_rollback_only_takes_a_retired_version(olga, repair):
    draft = authoring.do_save_draft(
        authoring.do_start_draft("triage", olga), TRIAGE, [VIP_ROW], olga
    )
    client = session_client(olga)
    response = post(client, PUBLISH.format(draft.version), {})
    assert response.status_code == 409
    assert response.json() == {"detail": "triage v2: test rows fail: Row 1 (VIP television)"}
    response = post(client, ROLLBACK.format(1), {})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "triage v1 is published: only a retired version rolls back"
    }
    assert post(client, PUBLISH.format(9), {}).json() == {
        "detail": "decision triage has no version 9"
    }
    assert _live() == 1
