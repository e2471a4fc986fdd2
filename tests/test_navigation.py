"""The navigation links each section only for the people who may open it."""

import pytest
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


def test_the_sections_read_group_roles_from_the_reference_cache(
    cast, django_assert_max_num_queries
):
    """Who may open what is worked out from the cached group names; only a Django
    permission check (read once a request) may still ask the database."""
    from django.contrib.auth.models import Group
    from django.test import RequestFactory

    from flowdesk.navigation import sections

    owner = cast["carol"]
    owner.groups.add(Group.objects.get_or_create(name="process_owners")[0])
    for user, expected in (
        (cast["alice"], (False, False, False, False)),
        (owner, (False, True, True, True)),
    ):
        request = RequestFactory().get("/tasks/")
        request.user = type(user).objects.get(id=user.id)  # no permissions cached on it
        sections(request)  # the reference cache warmed
        request.user = type(user).objects.get(id=user.id)
        with django_assert_max_num_queries(2):
            got = sections(request)
        names = ("nav_analytics", "nav_pricing", "nav_processes", "nav_decisions")
        assert tuple(got[n] for n in names) == expected, user.username
