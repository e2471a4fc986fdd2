"""/api/v1/docs works without internet: the page, every script and stylesheet it loads and the
OpenAPI schema all come from this server, under the Content-Security-Policy."""

import re
import urllib.request
from urllib.parse import urljoin, urlparse

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - the live test server
        return answer.status, answer.headers, answer.read()


def test_the_docs_page_loads_everything_from_this_server(live_server):
    status, headers, body = fetch(live_server.url + "/api/v1/docs")
    html = body.decode()
    assert status == 200 and "swagger-ui" in html
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "https:" not in policy

    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        url = urljoin(live_server.url + "/api/v1/docs", asset)
        assert urlparse(url).netloc == urlparse(live_server.url).netloc, asset
        status, headers, content = fetch(url)
        assert status == 200 and len(content) > 200, asset
        kind = "javascript" if asset.endswith(".js") else "css"
        assert kind in headers["Content-Type"], asset
    # No inline script runs (the CSP would block it): only the JSON settings block is inline.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [' type="application/json" id="swagger-settings"']

    settings_json = html.split('id="swagger-settings">')[1].split("</script>")[0]
    schema_url = re.search(r'"url":\s*"([^"]+)"', settings_json).group(1)
    status, headers, schema = fetch(urljoin(live_server.url, schema_url))
    assert status == 200 and b'"openapi"' in schema and b"/api/v1/tickets" in schema
