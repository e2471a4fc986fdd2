"""The navigation links each section only for the people who may open it."""

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


def _page(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/tasks/")
    assert response.status_code == 200
    return response.content.decode()


def test_each_role_sees_the_sections_it_may_open(cast):
    alice, bob, carol = _page(cast["alice"]), _page(cast["bob"]), _page(cast["carol"])
    assert 'href="/knowledge/"' in alice and 'href="/analytics/"' not in alice
    assert 'href="/pricing/"' not in alice
    assert 'href="/analytics/"' in bob  # supervisors watch the numbers
    assert 'href="/pricing/"' in carol  # finance keeps the catalogs
    for user, page in (("alice", alice), ("bob", bob)):
        client = Client()
        client.force_login(cast[user])
        if 'href="/analytics/"' in page:
            assert client.get("/analytics/").status_code == 200


def test_the_sections_read_roles_and_permissions_from_the_reference_cache(cast, monkeypatch):
    """Who may open what is worked out from cached group names and permissions: no
    statement once the cache is warm; granting or revoking a permission shows at once."""
    from django.contrib.auth.models import Group, Permission
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from definitions import refdata
    from flowdesk.navigation import sections

    monkeypatch.setattr(refdata, "MAX_AGE_S", 600.0)  # no token re-read on a slow machine
    names = ("nav_analytics", "nav_pricing", "nav_processes", "nav_decisions")
    owner = cast["carol"]
    owner.groups.add(Group.objects.get_or_create(name="process_owners")[0])

    def shown(user) -> tuple:
        request = RequestFactory().get("/tasks/")
        request.user = type(user).objects.get(id=user.id)  # nothing cached on the object
        got = sections(request)
        return tuple(got[n] for n in names)

    for user, expected in ((cast["alice"], (False,) * 4), (owner, (False, True, True, True))):
        shown(user)  # the cache warmed
        with CaptureQueriesContext(connection) as queries:
            assert shown(user) == expected, user.username
        assert len(queries) == 1, [q["sql"] for q in queries]  # the user row the test reads

    pricing = Permission.objects.get(codename="change_serviceitem")
    cast["alice"].user_permissions.add(pricing)
    assert shown(cast["alice"])[1] is True
    cast["alice"].user_permissions.remove(pricing)
    assert shown(cast["alice"])[1] is False
