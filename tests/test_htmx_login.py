"""A live refresh after the session ended: the whole page goes to the login page, and back
to itself after, instead of the login page being swapped into the list."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PAGE = "http://testserver/tasks/?tab=groups&sort=due"


@pytest.mark.parametrize(
    "fragment", ["/tasks/rows/?tab=groups&sort=due", "/tasks/tabs/?tab=groups"]
)
def test_a_signed_out_refresh_sends_the_page_to_the_login_page(fragment):
    refresh = Client().get(fragment, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=PAGE)
    assert refresh.status_code == 200 and refresh.content == b""
    assert refresh["HX-Redirect"] == "/login/?next=%2Ftasks%2F%3Ftab%3Dgroups%26sort%3Ddue"
    plain = Client().get(fragment)  # not htmx: Django's own redirect, as before
    assert plain.status_code == 302 and plain["Location"].startswith("/login/?next=/tasks/")


def test_the_way_back_stays_on_this_site():
    refresh = Client().get(
        "/tasks/rows/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://elsewhere.example//x"
    )
    assert refresh["HX-Redirect"] == "/login/?next=%2F"


def test_a_signed_in_refresh_is_untouched(cast):
    client = Client()
    client.force_login(cast["alice"])
    refresh = client.get(
        "/tasks/rows/?tab=groups", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=PAGE
    )
    assert refresh.status_code == 200 and "HX-Redirect" not in refresh
