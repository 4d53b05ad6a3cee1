"""Public mode's figures for ``bench/deploy.py`` (pebble as the CA, everything on 127.0.0.1).

- create → HTTPS: ``apps create`` of a new app (the example, renamed) until the first 200 of
  its page over HTTPS at ``https://<app>.<domain>``, the certificate checked against pebble's
  root and picked by SNI. The certificate is ordered while the app builds; the ingress state
  says how long the ACME order took.
- HTTPS through HAProxy vs plain HTTP straight to gunicorn, requests/s on ``/health/`` with
  wrk (2 threads, 16 connections), keep-alive and new connections (a TLS handshake per
  request), alternately (ABBA). wrk connects to 127.0.0.1 with the app's Host header (it does
  not check certificates; its SNI is the address, so HAProxy answers with its fallback
  certificate; the handshake costs the same).
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.ingress.pebble import Pebble  # noqa: E402 - the tests' pebble, on loopback

from dockyard.settings import free_port  # noqa: E402

DOMAIN = "apps.test"


def https_get(port: int, host: str, path: str, ctx: ssl.SSLContext) -> tuple[int, bytes]:
    """One GET over HTTPS to 127.0.0.1 with SNI and Host ``host``; (0, b"") when refused."""
    import http.client

    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.sock = ctx.wrap_socket(raw, server_hostname=host)
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp.status, body
    except (OSError, ssl.SSLError):
        return 0, b""


def wait_https(port: int, host: str, ctx: ssl.SSLContext, text: bytes,
               timeout: float = 180) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = https_get(port, host, "/", ctx)
        if status == 200 and text in body:
            return time.perf_counter()
        time.sleep(0.02)
    raise SystemExit(f"https://{host}:{port}/ did not serve {text!r} within {timeout:.0f}s")


def go_public(inst: Any, pebble: Pebble, http_port: int, https_port: int) -> None:
    inst.cli("up", "--public", "--domain", DOMAIN, "--email", "bench@example.test",
             "--http-port", str(http_port), "--https-port", str(https_port),
             "--bind", "127.0.0.1", "--acme-directory", pebble.directory,
             "--acme-ca-bundle", str(pebble.ca_bundle))


def create_to_https(inst: Any, spec: Path, name: str, https_port: int,
                    ctx: ssl.SSLContext) -> dict[str, float]:
    start = time.perf_counter()
    inst.cli("apps", "create", "--spec", str(spec))
    took = wait_https(https_port, f"{name}.{DOMAIN}", ctx, b"<h1>ProfileApp</h1>") - start
    states = json.loads((inst.home / "ingress" / "state.json").read_text())["domains"]
    state = states[f"{name}.{DOMAIN}"]
    from datetime import datetime

    order = (datetime.fromisoformat(state["ended_at"].replace("Z", "+00:00"))
             - datetime.fromisoformat(state["started_at"].replace("Z", "+00:00")))
    return {"total": took, "order": order.total_seconds()}


def https_vs_direct(inst: Any, name: str, https_port: int, seconds: int,
                    wrk: Any) -> None:
    dep = inst.app(name)["active_deployment"]["id"]
    detail = json.loads(inst.cli("apps", "get-deployment", name, dep, "-o", "json"))[0]
    port = next(i["port"] for i in detail["dockyard"]["instances"] if i["component"] == "web")
    urls = {"https": f"https://127.0.0.1:{https_port}/health/",
            "direct": f"http://127.0.0.1:{port}/health/"}
    host = ["-H", f"Host: {name}.{DOMAIN}"]
    print(f"{'requests/s (/health/, wrk -c16)':<34}{'HTTPS':>8}{'direct':>8}{'ratio':>7}"
          "  target ≥ 0.9 keep-alive")
    for label, close in (("keep-alive", False), ("new connections (TLS each)", True)):
        got: dict[str, list[float]] = {"https": [], "direct": []}
        problems = []
        for which in ("https", "direct", "direct", "https"):
            rate, errors = wrk(urls[which], seconds, close, host if which == "https" else [])
            got[which].append(rate)
            if errors:
                problems.append(f"{which}: {errors}")
        via, straight = statistics.mean(got["https"]), statistics.mean(got["direct"])
        verdict = ("ok" if via / straight >= 0.9 else "MISSED") if not close else "info"
        print(f"{label:<34}{via:>8.0f}{straight:>8.0f}{via / straight:>7.2f}  {verdict}")
        for problem in problems:
            print(f"  ! wrk reported errors ({problem})")


def public_figures(inst: Any, spec_for: Any, seconds: int, wrk: Any) -> None:
    """Switch the installation to public mode (pebble as CA) and print its figures."""
    if not (shutil.which("pebble") and shutil.which("pebble-challtestsrv")):
        print("public mode: skipped (pebble not installed; `make setup` installs it)")
        return
    http_port = free_port()
    https_port = free_port(avoid={http_port})
    pebble = Pebble(inst.root / "pebble", http_port=http_port).start()
    try:
        go_public(inst, pebble, http_port, https_port)
        root = inst.root / "pebble-root.pem"
        root.write_bytes(pebble.root_pem())
        ctx = ssl.create_default_context(cafile=str(root))
        runs = [create_to_https(inst, spec_for(f"pub-{n}"), f"pub-{n}", https_port, ctx)
                for n in range(3)]
        totals = [r["total"] for r in runs]
        print(f"{'apps create → first HTTPS 200':<34}{statistics.median(totals):>8.2f} s "
              f"(min {min(totals):.2f}, max {max(totals):.2f}; ACME order with pebble "
              f"{statistics.median(r['order'] for r in runs):.2f} s, while the app builds)")
        if shutil.which("wrk"):
            https_vs_direct(inst, "pub-0", https_port, seconds, wrk)
    finally:
        pebble.stop()
