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
