"""Knowledge base: search by body and tag words, visibility (the public help centre never
shows an internal article), safe Markdown, suggestions on the ticket page, an article from
a resolved ticket, and the API with its scopes."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from integrations.actions import do_create_token
from knowledge.actions import ArticleError, do_save_article
from knowledge.models import Article
from knowledge.queries import search
from knowledge.render import render_markdown
from tests.conftest import repair_start
from tickets import actions, operations
from tickets.models import Ticket

EVIL = (
    "# Reset\n\n<script>alert('owned')</script>\n\n"
    "[click](javascript:alert(1)) <img src=x onerror=alert(2)> **bold**"
)


@pytest.fixture
def articles(cast):
    author = cast["alice"]
    return {
        "router": do_save_article(
            author,
            {
                "title": "Restarting the router",
                "body": "Unplug the **router**, wait thirty seconds, plug it back in.",
                "tags": "network, wifi",
                "visibility": "public",
                "category": "network",
            },
        ),
        "refund": do_save_article(
            author,
            {
                "title": "Refund approvals",
                "body": "Finance approves refunds above the threshold; secret margin rules.",
                "tags": ["finance", "internal-policy"],
                "visibility": "internal",
                "process_key": "repair",
            },
        ),
        "tv": do_save_article(
            author,
            {
                "title": "电视无法开机",
                "body": "检查电源线，然后长按电源键十秒。TV power cycle.",
                "tags": "tv",
                "visibility": "public",
                "category": "tv",
            },
        ),
    }


def _titles(found):
    return {a.title for a in found}


def test_search_by_body_and_tag_words(articles):
    assert _titles(search("thirty seconds", public_only=False)) == {"Restarting the router"}
    assert _titles(search("wifi", public_only=False)) == {"Restarting the router"}
    assert _titles(search("margin", public_only=False)) == {"Refund approvals"}
    assert _titles(search("finance", public_only=False)) == {"Refund approvals"}
    assert _titles(search("电源键", public_only=False)) == {"电视无法开机"}
    assert search("router nonexistentword", public_only=False) == []


def test_search_respects_visibility(articles):
    assert search("margin", public_only=True) == []
    assert search("finance", public_only=True) == []
    assert _titles(search("", public_only=True)) == {"Restarting the router", "电视无法开机"}


def test_public_help_centre_never_shows_internal_articles(client, articles):
    page = client.get("/kb/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Restarting the router" in body and "Refund approvals" not in body
    searched = client.get("/kb/?q=finance").content.decode()
    assert "Refund approvals" not in searched and "No article matches." in searched
    assert client.get(f"/kb/{articles['refund'].id}/").status_code == 404
    shown = client.get(f"/kb/{articles['router'].id}/")
    assert shown.status_code == 200 and "<strong>router</strong>" in shown.content.decode()


def test_markdown_is_sanitised(cast):
    html = render_markdown(EVIL)
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert "<strong>bold</strong>" in html and "<h1>Reset</h1>" in html
    article = do_save_article(
        cast["alice"], {"title": "Evil", "body": EVIL, "visibility": "public"}
    )
    for url in (f"/kb/{article.id}/",):
        body = Client().get(url).content.decode()
        assert "<script>alert" not in body and "onerror" not in body
    staff = Client()
    staff.force_login(cast["alice"])
    body = staff.get(f"/knowledge/{article.id}/").content.decode()
    assert "<script>alert" not in body and "javascript:alert" not in body


def test_validation(cast):
    with pytest.raises(ArticleError) as error:
        do_save_article(cast["alice"], {"title": " ", "body": "", "visibility": "secret"})
    assert set(error.value.errors) == {"title", "body", "visibility"}


def test_staff_pages(cast, articles):
    anonymous = Client().get("/knowledge/")
    assert anonymous.status_code == 302
    outsider = User.objects.create_user("outsider", password="pw")  # not staff
    client = Client()
    client.force_login(outsider)
    assert client.get("/knowledge/").status_code == 403
    staff = Client()
    staff.force_login(cast["alice"])
    listing = staff.get("/knowledge/?q=finance").content.decode()
    assert "Refund approvals" in listing and "Internal" in listing
    created = staff.post(
        "/knowledge/new/",
        {
            "title": "Printer jams",
            "body": "Open tray *two*.",
            "tags": "printer",
            "visibility": "internal",
        },
    )
    assert created.status_code == 302
    article = Article.objects.get(title="Printer jams")
    assert article.tags == ["printer"] and article.author == cast["alice"]
    bad = staff.post("/knowledge/new/", {"title": "", "body": "x", "visibility": "internal"})
    assert bad.status_code == 400 and "an article needs a title" in bad.content.decode()
    edited = staff.post(
        f"/knowledge/{article.id}/edit/",
        {
            "title": "Printer jams",
            "body": "Open tray three.",
            "tags": "printer",
            "visibility": "public",
        },
    )
    assert edited.status_code == 302
    article.refresh_from_db()
    assert article.visibility == "public" and "three" in article.body_html


def test_ticket_page_suggests_articles_and_offers_an_article(cast, repair, articles):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start(category="tv"))
    staff = Client()
    staff.force_login(cast["bob"])
    body = staff.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Suggested articles" in body
    assert "电视无法开机" in body  # same category
    assert "Refund approvals" in body  # same template
    assert "Create an article from this ticket" not in body  # not resolved yet


def test_article_from_resolved_ticket(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start(category="tv"))
    operations.do_post_message(
        cast["alice"], ticket.id, "Customer says the TV clicks once.", public=True
    )
    operations.do_post_message(cast["alice"], ticket.id, "internal: margin note", public=False)
    staff = Client()
    staff.force_login(cast["bob"])
    assert staff.get(f"/knowledge/new/?ticket={ticket.number}").status_code == 409
    Ticket.objects.filter(id=ticket.id).update(status=Ticket.Status.COMPLETED)
    form = staff.get(f"/knowledge/new/?ticket={ticket.number}").content.decode()
    assert "Customer says the TV clicks once." in form and "margin note" not in form
    assert staff.get("/knowledge/new/?ticket=SV-NOPE").status_code == 404
    saved = staff.post(
        "/knowledge/new/",
        {
            "ticket": ticket.number,
            "title": "TV clicks",
            "body": "Replace the PSU.",
            "visibility": "internal",
        },
    )
    assert saved.status_code == 302
    assert Article.objects.get(title="TV clicks").source_ticket_id == ticket.id


def _api(user, scopes):
    _row, clear = do_create_token(user, "kb", scopes)
    return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


def test_api_scopes_and_visibility(cast, articles):
    client = Client()
    reader = _api(cast["alice"], ["knowledge:read"])
    found = client.get("/api/v1/knowledge/articles?q=finance", **reader)
    assert found.status_code == 200 and [a["title"] for a in found.json()] == ["Refund approvals"]
    one = client.get(f"/api/v1/knowledge/articles/{articles['router'].id}", **reader).json()
    assert "<strong>router</strong>" in one["body_html"] and one["tags"] == ["network", "wifi"]
    payload = {"title": "API article", "body": "Body <script>x</script>", "tags": ["api"]}
    denied = client.post(
        "/api/v1/knowledge/articles", payload, content_type="application/json", **reader
    )
    assert denied.status_code == 403
    writer = _api(cast["alice"], ["knowledge:write"])
    created = client.post(
        "/api/v1/knowledge/articles", payload, content_type="application/json", **writer
    )
    assert created.status_code == 201 and "<script>" not in created.json()["body_html"]
    bad = client.post(
        "/api/v1/knowledge/articles",
        {"title": "x", "body": "y", "visibility": "secret"},
        content_type="application/json",
        **writer,
    )
    assert bad.status_code in (400, 422)
    outsider = User.objects.create_user("outsider2", password="pw")
    public = _api(outsider, ["knowledge:read", "knowledge:write"])
    listed = client.get("/api/v1/knowledge/articles", **public).json()
    assert "Refund approvals" not in [a["title"] for a in listed]
    hidden = client.get(f"/api/v1/knowledge/articles/{articles['refund'].id}", **public)
    assert hidden.status_code == 404
    refused = client.post(
        "/api/v1/knowledge/articles", payload, content_type="application/json", **public
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/knowledge/articles?limit=0", **reader).status_code == 400


def test_chinese_strings(client, articles):
    from django.utils import translation

    with translation.override("zh-hans"):
        from django.template.loader import render_to_string

        html = render_to_string("knowledge/public_list.html", {"articles": [], "q": "x"})
    assert "帮助中心" in html and "没有匹配的文章。" in html
