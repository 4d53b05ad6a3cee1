"""Static sites through HAProxy and nginx: documents, prefixes, traversal, symlink swaps."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.router import AppRouting, Route, ServiceBackend, StaticSite
from dockyard.router.processes import children, pid_of
from tests.router.conftest import echo, free_port, new_app_id, request

PNG = bytes(range(256)) * 40  # binary content, to compare byte for byte


def make_release(root: Path, marker: str, *, with_404: bool = True) -> Path:
    root.mkdir(parents=True)
    (root / "index.html").write_text(f"<h1>home {marker}</h1>")
    (root / "app.html").write_text(f"<h1>spa {marker}</h1>")
    (root / "css").mkdir()
    (root / "css" / "site.css").write_text(f"body {{}} /* {marker} */")
    (root / "img").mkdir()
    (root / "img" / "logo.png").write_bytes(PNG)
    (root / "docs").mkdir()
    (root / "docs" / "index.html").write_text(f"<h1>docs {marker}</h1>")
    if with_404:
        (root / "404.html").write_text(f"<h1>custom missing {marker}</h1>")
    (root / "passwd").symlink_to("/etc/passwd")
    (root / "etc").symlink_to("/etc", target_is_directory=True)
    return root


@pytest.fixture
def site_app(running_router, backend, tmp_path: Path):  # type: ignore[no-untyped-def]
    """``/`` is a Django-like service, ``/static`` and ``/docs-site`` are sites, plus an SPA."""
    app = AppRouting(
        app_id=new_app_id(), name="pages", port=free_port(),
        routes=(Route("/", "web"), Route("/static", "assets"),
                Route("/spa", "spa"), Route("/plain", "plain"),
                Route("/kept", "kept", preserve_path_prefix=True)),
        services=(ServiceBackend("web", 1),),
        sites=(StaticSite("assets"), StaticSite("plain", error_document="404.html"),
               StaticSite("spa", error_document=None, catchall_document="app.html"),
               StaticSite("kept")))
    router = running_router.router
    router.apply([app])
    web, _ = backend("web-1")
    router.switch(app.app_id, {"web": [web]})
    router.publish_site(app.app_id, "assets", make_release(tmp_path / "r1" / "assets", "v1"))
    router.publish_site(app.app_id, "spa", make_release(tmp_path / "r1" / "spa", "v1"))
    router.publish_site(app.app_id, "plain",
                        make_release(tmp_path / "r1" / "plain", "v1", with_404=False))
    kept = make_release(tmp_path / "r1" / "kept-root", "v1")
    (kept / "kept").mkdir()
    (kept / "kept" / "note.txt").write_text("kept prefix")
    router.publish_site(app.app_id, "kept", kept)
    return app


def test_index_and_nested_files_are_served_byte_identical(site_app: AppRouting):
    status, body, _ = request(site_app.port, "/static/")
    assert (status, body) == (200, b"<h1>home v1</h1>")
    assert request(site_app.port, "/static")[1] == b"<h1>home v1</h1>"
    status, body, headers = request(site_app.port, "/static/img/logo.png")
    assert status == 200 and body == PNG and headers["content-type"] == "image/png"
    assert request(site_app.port, "/static/css/site.css")[2]["content-type"] == "text/css"
    assert echo(site_app.port, "/staticx")["name"] == "web-1"


def test_directory_redirect_keeps_the_route_prefix(site_app: AppRouting):
    status, _, headers = request(site_app.port, "/static/docs")
    assert status == 301 and headers["location"] == "/static/docs/"
    assert request(site_app.port, "/static/docs/")[1] == b"<h1>docs v1</h1>"


def test_preserve_path_prefix_keeps_the_prefix(site_app: AppRouting):
    assert request(site_app.port, "/kept/note.txt")[1] == b"kept prefix"


def test_error_document_and_builtin_404(site_app: AppRouting):
    status, body, _ = request(site_app.port, "/static/nope.html")
    assert (status, body) == (404, b"<h1>custom missing v1</h1>")
    status, body, _ = request(site_app.port, "/plain/nope.html")
    assert status == 404 and body.strip() == b"Not Found"


def test_catchall_document_serves_unknown_paths(site_app: AppRouting):
    status, body, _ = request(site_app.port, "/spa/users/42/edit")
    assert (status, body) == (200, b"<h1>spa v1</h1>")
    assert request(site_app.port, "/spa/css/site.css")[1] == b"body {} /* v1 */"


TRAVERSALS = [
    "/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd", "/static/css/%2F..%2F..%2F..%2Fetc/passwd",
    "/static/..%2f..%2f..%2fetc%2fpasswd", "/static/passwd", "/static/etc/passwd",
    "/spa/passwd", "/spa/../../../etc/passwd", "/spa/etc/passwd", "/plain/%2e%2e/passwd",
]


def test_no_request_reads_outside_the_release(site_app: AppRouting):
    """``..`` (plain and encoded) and symlinks out of the release: 400/403/404, never the file."""
    wrong = []
    for path in TRAVERSALS:
        status, body, _ = request(site_app.port, path)
        spa_fallback = path.startswith("/spa/") and body == b"<h1>spa v1</h1>"
        if (status not in (400, 403, 404) and not spa_fallback) or b"root:" in body:
            wrong.append((path, status, body[:100]))
    assert wrong == []


def test_publish_site_swaps_without_reloading_nginx(running_router, site_app, tmp_path):  # type: ignore[no-untyped-def]
    layout = running_router.router.layout
    conf = layout.nginx_conf.read_bytes()
    master = pid_of(layout.nginx_pid, "nginx")
    assert master is not None
    workers = children(master)
    new = make_release(tmp_path / "r2" / "assets", "v2")
    running_router.router.publish_site(site_app.app_id, "assets", new)
    assert request(site_app.port, "/static/")[1] == b"<h1>home v2</h1>"
    assert request(site_app.port, "/static/nope")[1] == b"<h1>custom missing v2</h1>"
    served = layout.site_root(site_app.app_id, "assets")
    assert (served / "index.html").samefile(new / "index.html")  # a hard link, no copy
    assert pid_of(layout.nginx_pid, "nginx") == master and children(master) == workers
    assert layout.nginx_conf.read_bytes() == conf


def test_nginx_workers_do_not_run_as_root(running_router, site_app):  # type: ignore[no-untyped-def]
    master = pid_of(running_router.router.layout.nginx_pid, "nginx")
    assert master is not None
    uids = {Path(f"/proc/{pid}").stat().st_uid for pid in children(master)}
    assert uids and 0 not in uids if os.geteuid() == 0 else uids
    assert request(site_app.port, "/static/")[0] == 200


def test_publish_site_refuses_a_missing_release(running_router, site_app, tmp_path):  # type: ignore[no-untyped-def]
    with pytest.raises(DockyardError, match="not a directory"):
        running_router.router.publish_site(site_app.app_id, "assets", tmp_path / "missing")
    assert request(site_app.port, "/static/")[1] == b"<h1>home v1</h1>"


def test_a_killed_nginx_master_leaves_no_worker_behind_when_it_restarts(running_router,  # type: ignore[no-untyped-def]
                                                                       site_app):
    """``kill -9`` of the master: the restarted program stops the old workers (which hold
    the port and the old configuration) before the new master binds."""
    import signal

    from tests.router.conftest import wait_for

    layout = running_router.router.layout
    master = pid_of(layout.nginx_pid, "nginx")
    assert master is not None
    old_workers = children(master)
    os.kill(master, signal.SIGKILL)
    running_router.nginx.wait(timeout=10)  # reaped, as supervisord would
    assert all(Path(f"/proc/{pid}").exists() for pid in old_workers)  # orphans, still serving
    program = next(p for p in running_router.router.programs() if "nginx" in p.name)
    running_router.nginx = running_router.procs.start(program.argv, program.name,
                                                      cwd=program.cwd)
    wait_for(lambda: (pid_of(layout.nginx_pid, "nginx") or master) != master,
             "a new nginx master")
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in old_workers),
             "the old workers to be gone")
    assert request(site_app.port, "/static/")[1] == b"<h1>home v1</h1>"


def test_serves_site_tells_a_published_site_from_nginx_default_answer(running_router,  # type: ignore[no-untyped-def]
                                                                      site_app):
    router = running_router.router
    assert router.serves_site(site_app.app_id, "assets")
    assert not router.serves_site(site_app.app_id, "missing-site")


@pytest.mark.skipif(os.geteuid() != 0, reason="judging who could have made a link needs root")
def test_a_site_folder_its_build_turned_into_a_link_is_not_published(running_router,
                                                                      tmp_path: Path):
    """A site's build runs as its app's user, who owns the release: ``site -> /root`` must
    not publish root's files for nginx to serve."""
    secret = tmp_path / "root-only"
    secret.mkdir()
    (secret / "index.html").write_text("root's page")
    release = tmp_path / "release"
    release.mkdir()
    os.chown(release, 65534, 65534)
    (release / "site").symlink_to(secret)
    app = AppRouting(app_id=new_app_id(), name="evil", port=free_port(),
                     routes=(Route("/", "site"),), sites=(StaticSite("site"),))
    router = running_router.router
    router.apply([app])
    with pytest.raises(DockyardError, match="is a symbolic link") as err:
        router.publish_site(app.app_id, "site", release / "site")
    assert err.value.code == "router.unsafe_release"
    published = router.layout.site_root(app.app_id, "site").parent
    assert not published.exists() or not any(published.rglob("index.html"))
