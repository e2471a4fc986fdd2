"""With DEBUG off (as in production and in these tests) people get our 403/404/500 pages, in
their language, with a way back; a server error shows a reference that the log also carries."""

import logging

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def test_debug_is_off_in_these_tests():
    assert settings.DEBUG is False


def test_an_unknown_address_is_our_404_with_a_way_back(client, cast):
    client.force_login(cast["alice"])
    answer = client.get("/no/such/page/")
    html = answer.content.decode()
    assert answer.status_code == 404
    assert "<h1>Not found</h1>" in html and '<a href="/">Back to flowdesk</a>' in html
    assert "Page not found (404)" not in html and "URLconf" not in html  # no debug page


def test_the_404_speaks_chinese_to_a_chinese_browser(client):
    html = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "<h1>页面不存在</h1>" in html and "返回 flowdesk" in html


def test_a_forbidden_page_is_our_403(client, cast):
    client.force_login(cast["alice"])
    answer = client.get("/decisions/")
    assert answer.status_code == 403
    assert "<h1>Not allowed</h1>" in answer.content.decode()
    zh = client.get("/decisions/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "<h1>无权访问</h1>" in zh


def test_api_errors_stay_json(client):
    answer = client.get("/api/v1/no-such-endpoint")
    assert answer.status_code == 404 and "detail" in answer.json()


@pytest.fixture
def broken_decision_list(monkeypatch):
    """The decision list's read path fails as a lost database connection would."""
    from definitions import decision_catalogue

    def fail():
        raise RuntimeError("connection to the database lost")

    monkeypatch.setattr(decision_catalogue, "decision_rows", fail)


def test_a_server_error_shows_a_reference_that_the_log_carries_with_the_traceback(
    cast, broken_decision_list, caplog
):
    client = Client(raise_request_exception=False)
    client.force_login(cast["dave"])
    with caplog.at_level(logging.ERROR, logger="flowdesk.errors"):
        answer = client.get("/decisions/")
    html = answer.content.decode()
    assert answer.status_code == 500
    assert "<h1>Something went wrong</h1>" in html and "RuntimeError" not in html
    reference = html.split('<strong class="fd-reference">')[1].split("</strong>")[0]
    assert len(reference) == 12
    [record] = [r for r in caplog.records if r.name == "flowdesk.errors"]
    assert reference in record.getMessage() and "GET /decisions/" in record.getMessage()
    assert record.exc_info[0] is RuntimeError

    zh = client.get("/decisions/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "出错了" in zh and 'lang="zh-CN"' in zh
