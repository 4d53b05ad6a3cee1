"""The fuzz suite's oracle: what every answer to a generated spec must satisfy.

A refusal is a ``SpecError`` whose every issue names a field path (or is about the document
as a whole: syntax, size, nesting) and can be printed. An accepted spec must be one that the
router, nginx and supervisord accept: its routing passes ``check_app`` and renders configs
that ``haproxy -c`` and ``nginx -t`` accept, and each of its instances makes a supervisord
program that supervisord's own parser reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dockyard.appspec import SpecError
from dockyard.router.files import Layout, check_config, haproxy_check_argv, nginx_check_argv

DOCUMENT_LEVEL = ("syntax error", "the spec is", "the spec nests", "the spec expands",
                  "the spec holds", "nested too deeply", "nested [ or {", "YAML alias",
                  "expected a mapping", "UTF-8", "UTF-16", "larger than the limit")
TRACE_MARKS = ("Traceback", 'File "', "site-packages", ".py\"", "line 1, in")
APP_ID = "0f1e2d3c-4b5a-4968-8778-695a4b3c2d1e"
DEP_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def refusal_is_plain(exc: SpecError) -> None:
    assert exc.issues, exc
    for issue in exc.issues:
        text = str(issue)
        text.encode("utf-8")  # printable: no lone surrogate reaches a message
        assert not any(mark in text for mark in TRACE_MARKS), text
        assert issue.path or any(m in issue.message for m in DOCUMENT_LEVEL), text


def error_body_is_plain(status: int, body: Any) -> None:
    """An API refusal: a 4xx in DigitalOcean's shape; a 422 names the field paths."""
    assert 400 <= status < 500, (status, body)
    assert isinstance(body, dict) and {"id", "message", "request_id"} <= set(body), body
    assert not any(mark in body["message"] for mark in TRACE_MARKS), body["message"]
    for error in body.get("errors", []):
        assert error["path"] or any(m in error["message"] for m in DOCUMENT_LEVEL), error


def accepted_spec_runs(doc: Any, layout: Layout, *, real_checks: bool) -> None:
    """The router, nginx and supervisord accept what validation accepted."""
    json.dumps(doc.to_dict())
    doc.to_yaml().encode("utf-8")
    if doc.unsupported():
        return  # the server refuses it at propose/create: nothing is rendered
    routing = router_table(doc.spec)
    from dockyard.router.model import check_app

    check_app(routing)
    haproxy, nginx = render(routing, layout)
    programs_parse(doc.spec, layout.home.parent)
    if real_checks:
        check_config(haproxy_check_argv(write(layout.home / "fuzz.cfg", haproxy)), "haproxy")
        if routing.sites:
            check_config(nginx_check_argv(write(layout.home / "fuzz-nginx.conf", nginx),
                                          layout), "nginx")


def router_table(spec: Any) -> Any:
    from dockyard.deploy.routing import app_routing
    from dockyard.store.records import App

    app = App(APP_ID, spec.name, 1, 18080, None, None, "", "")
    return app_routing(app, spec)


def render(routing: Any, layout: Layout) -> tuple[str, str]:
    from dockyard.router.haproxy_conf import render_haproxy
    from dockyard.router.model import Slot
    from dockyard.router.nginx_conf import render_nginx

    slots = {APP_ID: {s.component: [Slot("a", 20000 + i, None) for i in range(s.instances)]
                      for s in routing.services}}
    haproxy = render_haproxy([routing], slots, layout, nginx_port=18082, shared_port=18081)
    nginx = render_nginx([(routing, site) for site in routing.sites], layout, port=18082)
    return haproxy, nginx


def programs_parse(spec: Any, root: Path) -> None:
    """Each instance's supervisord program, as the runtime names it, read by supervisord
    (the parser ``dockyard up`` judges program files with)."""
    from dockyard.entrypoints import LAUNCHER, argv
    from dockyard.paths import Home
    from dockyard.runtime import Instance
    from dockyard.runtime.local.supervisor import ProgramSpec, program_file_ok, render_program

    home = Home(root / "home")
    for kind in ("services", "workers", "jobs"):
        for comp in getattr(spec, kind):
            for index in range(min(comp.instance_count or 1, 3)):
                inst = Instance(APP_ID, DEP_ID, comp.name, index, 20000 + index)
                folder = home.instances(APP_ID) / DEP_ID / inst.alias
                (home.logs(APP_ID) / DEP_ID).mkdir(parents=True, exist_ok=True)
                text = render_program(home, ProgramSpec(
                    inst.program, argv(LAUNCHER, str(folder / "launch.json")),
                    cwd=str(folder),
                    log=str(home.logs(APP_ID) / DEP_ID / f"run-{inst.alias}.log")))
                path = root / f"{inst.program}.conf"
                path.write_text(text)
                assert program_file_ok(path), text


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
