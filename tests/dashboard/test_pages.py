"""The dashboard's pages and files, without a browser: public HTML shells, static assets
served with the right types, nothing loaded from another host, and the size budget."""

from __future__ import annotations

import asyncio
import hashlib
import re
import ssl
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from dockyard.api import dashboard
from dockyard.api.app import on_http_error
from tests.conftest import Dockyard

PACKAGE = Path(dashboard.__file__).resolve().parent
# Files copied unchanged from an npm package (VENDORED.md): checked by hash, not by our rules.
VENDORED = dict(re.findall(r"^\| `static/([^`]+)` \|.*\| `([0-9a-f]{64})` \|$",
                           (PACKAGE / "VENDORED.md").read_text(), re.M))
ASSETS = sorted(p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix in
                {".html", ".js", ".css"} and p.name not in VENDORED)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
TABS = ["", "/env", "/metrics", "/instances", "/console", "/jobs", "/spec"]
PAGES = ["/dashboard/", "/dashboard/signin", "/dashboard/new",
         *(f"/dashboard/apps/3f0c-some-app-id{tab}" for tab in TABS)]


class Client:
    """The dashboard routes alone, called in-process through httpx's ASGI transport
    (Starlette's TestClient now warns about httpx, and warnings are errors here)."""

    def __init__(self) -> None:
        self.app = Starlette(routes=dashboard.routes,
                             exception_handlers={HTTPException: on_http_error})

    def get(self, path: str, *, follow_redirects: bool = True) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1",
                                         follow_redirects=follow_redirects) as http:
                return await http.get(path)

        return asyncio.run(call())


@pytest.fixture(scope="module")
def client() -> Client:
    return Client()


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_public_html_shells_for_phones_with_a_strict_csp(client: Client, path):  # type: ignore[no-untyped-def]
    resp = client.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in resp.text
    assert re.search(r'<script type="module" src="/dashboard/static/[\w-]+\.js\?v=', resp.text)
    csp = resp.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp


def test_the_app_id_in_the_url_is_escaped_into_the_page(client: Client):
    resp = client.get("/dashboard/apps/%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert resp.status_code == 200
    assert "<img" not in resp.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in resp.text


def test_an_unknown_app_page_is_a_404_naming_the_pages(client: Client):
    resp = client.get("/dashboard/apps/some-app/settings")
    assert resp.status_code == 404
    assert "'settings'" in resp.json()["message"] and "metrics" in resp.json()["message"]


def test_every_app_page_links_every_tab_and_marks_its_own(client: Client):
    for tab in TABS:
        html = client.get(f"/dashboard/apps/a1{tab}").text
        assert all(f'href="/dashboard/apps/a1{t}"' in html for t in TABS)
        active = rf'href="/dashboard/apps/a1{tab}" data-tab="[a-z]*"\s+class="active"'
        assert re.search(active, html), tab


def test_vendored_files_are_the_npm_packages_files_named_in_vendored_md():
    assert set(VENDORED) == {"uplot.js", "uplot.css"}
    for name, digest in VENDORED.items():
        assert hashlib.sha256((PACKAGE / "static" / name).read_bytes()).hexdigest() == digest, name
    assert "uPlot.js (μPlot)" in (PACKAGE / "static" / "uplot.js").read_text()[:400]
    assert "1.6.32" in (PACKAGE / "VENDORED.md").read_text()


@pytest.mark.parametrize("path", ["/", "/dashboard"])
def test_root_and_bare_dashboard_redirect_to_the_dashboard(client: Client, path):  # type: ignore[no-untyped-def]
    resp = client.get(path, follow_redirects=False)
    assert resp.status_code == 307
    assert resp.headers["location"] == "/dashboard/"


@pytest.mark.parametrize("name", sorted(p.name for p in (PACKAGE / "static").iterdir()))
def test_static_assets_are_served_with_their_types(client: Client, name: str):
    resp = client.get(f"/dashboard/static/{name}")
    assert resp.status_code == 200
    assert resp.content == (PACKAGE / "static" / name).read_bytes()
    expected = {".js": "text/javascript", ".css": "text/css"}[Path(name).suffix]
    assert resp.headers["content-type"].startswith(expected)  # ES modules need a JS type


@pytest.mark.parametrize("name", ["nope.js", "..%2F__init__.py", ".hidden.js", "app.JS",
                                  "..%2Ftemplates%2Fbase.html"])
def test_unknown_or_escaping_static_names_are_404_json(client: Client, name: str):
    resp = client.get(f"/dashboard/static/{name}")
    assert resp.status_code == 404
    assert resp.json()["id"] == "not_found"


@pytest.mark.parametrize("path", ASSETS, ids=lambda p: p.name)
def test_no_asset_loads_anything_from_another_host(path: Path):
    text = path.read_text()
    hosts = set(re.findall(r"(?:https?|wss?):\\?/\\?/([^/\s\"'`:)]+)", text))
    hosts |= set(re.findall(r"""["'`(]//([a-z0-9.-]+\.[a-z]{2,})""", text, re.I))
    assert hosts <= LOCAL_HOSTS, f"{path.name} names other hosts: {hosts - LOCAL_HOSTS}"
    for attr in re.findall(r"""\b(?:src|href|action)=["']([^"']*)["']""", text):
        assert attr.startswith(("/", "#", "data:")) or attr == "", f"{path.name}: {attr}"
    assert not re.search(r"@import|url\(\s*['\"]?(?!data:)[a-z]+:", text), path.name
    for spec in re.findall(r"""^\s*import\b[^"']*["']([^"']+)["']""", text, re.M):
        assert spec.startswith("./"), f"{path.name} imports {spec!r} (only local modules)"


@pytest.mark.parametrize("path", [*ASSETS, *PACKAGE.glob("*.py")], ids=lambda p: p.name)
def test_every_dashboard_file_stays_within_400_lines(path: Path):
    assert len(path.read_text().splitlines()) <= 400


def test_through_the_real_server_pages_need_no_token_but_the_api_still_does(dockyard: Dockyard):
    ctx = ssl.create_default_context(cafile=str(dockyard.home / "tls" / "ca.pem"))

    def fetch(path: str) -> tuple[int, str, str]:
        req = urllib.request.Request(dockyard.api_url + path)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
                return resp.status, resp.url, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, path, err.read().decode()

    status, url, body = fetch("/")
    assert status == 200 and url.endswith("/dashboard/") and "<title>Apps" in body
    assert fetch("/dashboard/static/app.js")[0] == 200
    assert dockyard.request("GET", "/v2/apps", token=None).status == 401
