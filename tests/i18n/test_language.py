"""Which language a page is in: the person's profile, then the browser's Accept-Language,
then LANGUAGE_CODE; the header's switcher saves the choice for good."""

import pytest
from django.test import Client

from notify.actions import do_set_preferences
from notify.models import ChannelPreference
from notify.preferences import chosen_language

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _page(client, url="/tasks/", accept="") -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 200
    return response.content.decode()


def test_a_visitor_reads_the_log_in_page_in_the_browsers_language():
    chinese = _page(_client(), "/login/", accept="zh-CN,zh;q=0.9,en;q=0.5")
    assert '<html lang="zh-hans">' in chinese and "<h1>登录</h1>" in chinese
    assert "用户名" in chinese and "Log in" not in chinese
    english = _page(_client(), "/login/", accept="en-GB,en;q=0.9")
    assert '<html lang="en">' in english and "<h1>Log in</h1>" in english
    assert _page(_client(), "/login/").count("<h1>Log in</h1>") == 1  # neither: LANGUAGE_CODE


def test_the_profile_beats_the_browser(cast):
    do_set_preferences(cast["alice"], language="en")
    page = _page(_client(cast["alice"]), accept="zh-CN,zh;q=0.9")
    assert '<html lang="en">' in page and ">My work<" in page and "我的工作" not in page
    # bob chose nothing: his browser decides
    page = _page(_client(cast["bob"]), accept="zh-CN,zh;q=0.9")
    assert '<html lang="zh-hans">' in page and ">我的工作<" in page and ">退出登录<" in page


def test_the_switcher_keeps_the_choice_on_the_profile_across_sessions(cast):
    alice = _client(cast["alice"])
    assert ">English<" not in _page(alice, accept="en")  # only the other languages are offered
    switched = alice.post("/language/", {"language": "zh-hans", "next": "/tasks/"})
    assert switched.status_code == 302 and switched["Location"] == "/tasks/"
    assert chosen_language(cast["alice"]) == "zh-hans"
    assert ">我的工作<" in _page(alice, accept="en")
    # a new session on another machine with an English browser: still Chinese
    assert ">我的工作<" in _page(_client(cast["alice"]), accept="en-US,en")
    # notifications read the same setting
    assert ChannelPreference.objects.get(user=cast["alice"]).language == "zh-hans"


def test_a_visitors_choice_is_a_cookie_and_a_wrong_code_changes_nothing(cast):
    visitor = _client()
    visitor.post("/language/", {"language": "zh-hans", "next": "/login/"})
    assert "<h1>登录</h1>" in _page(visitor, "/login/", accept="en")
    alice = _client(cast["alice"])
    assert alice.post("/language/", {"language": "klingon", "next": "/tasks/"}).status_code == 302
    assert chosen_language(cast["alice"]) == ""
    assert alice.get("/language/").status_code == 405


def test_the_header_says_the_language_it_offers(cast):
    page = _page(_client(cast["bob"]), accept="en")
    assert 'action="/language/"' in page and 'name="language" value="zh-hans"' in page
    assert 'name="next" value="/tasks/"' in page


def test_the_chosen_language_costs_a_page_no_query(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alice = _client(cast["alice"])
    _page(alice, "/notify/")  # warm
    with CaptureQueriesContext(connection) as browser_language:
        _page(alice, "/notify/", accept="zh-CN")
    alice.post("/language/", {"language": "en", "next": "/notify/"})
    with CaptureQueriesContext(connection) as own_language:
        page = _page(alice, "/notify/", accept="zh-CN")
    assert "<h1>Notifications" in page
    assert len(own_language) == len(browser_language)  # read from the session, not the table
