"""Let's Encrypt's test CA (Debian's ``pebble``) and its DNS server (``pebble-challtestsrv``)
on 127.0.0.1, for the ingress tests and ``bench/deploy.py``.

pebble validates HTTP-01 against ``http_port`` (HAProxy's public HTTP port in the tests) on
whatever address challtestsrv gives for the name: 127.0.0.1 for every name, unless a test
makes a name fail (``servfail``). Nothing leaves the machine. pebble's own HTTPS listener
uses a certificate from a throw-away CA made here (``ca_bundle``: what Dockyard's
``--acme-ca-bundle`` gets); pebble's issuing root, fetched from its management port, is
``root_pem`` (what a client trusts to reach the apps).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.api.tls import ensure_tls
from dockyard.settings import free_port
from tests.conftest import wait_for


@dataclass
class Pebble:
    """A running pebble + challtestsrv pair; ``stop()`` ends both by pid."""

    folder: Path
    http_port: int                       # where pebble sends HTTP-01 validation requests
    validity_seconds: int = 3600         # pebble's certificate lifetime
    acme_port: int = 0
    management_port: int = 0
    dns_port: int = 0
    challtest_port: int = 0
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def directory(self) -> str:
        return f"https://127.0.0.1:{self.acme_port}/dir"

    @property
    def ca_bundle(self) -> Path:
        return self.folder / "ca.pem"

    def start(self) -> Pebble:
        for name in ("pebble", "pebble-challtestsrv"):
            if not shutil.which(name):
                raise RuntimeError(f"{name} is not installed (make setup installs `pebble`)")
        self.folder.mkdir(parents=True, exist_ok=True)
        tls = ensure_tls(self.folder)  # a throw-away CA (ca.pem) and a localhost certificate
        used: set[int] = {self.http_port}
        for attr in ("acme_port", "management_port", "dns_port", "challtest_port"):
            setattr(self, attr, free_port(avoid=used))
            used.add(getattr(self, attr))
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.acme_port}",
            "managementListenAddress": f"127.0.0.1:{self.management_port}",
            "certificate": str(tls.cert), "privateKey": str(tls.key),
            "httpPort": self.http_port, "tlsPort": free_port(avoid=used),
            "ocspResponderURL": "", "externalAccountBindingRequired": False,
            "certificateValidityPeriod": self.validity_seconds}}
        (self.folder / "pebble.json").write_text(json.dumps(config))
        self._spawn("challtestsrv", ["pebble-challtestsrv", "-defaultIPv4", "127.0.0.1",
                                     "-defaultIPv6", "", "-dns01", f"127.0.0.1:{self.dns_port}",
                                     "-http01", "", "-https01", "", "-tlsalpn01", "",
                                     "-management", f"127.0.0.1:{self.challtest_port}"])
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
        self._spawn("pebble", ["pebble", "-config", str(self.folder / "pebble.json"),
                               "-dnsserver", f"127.0.0.1:{self.dns_port}", "-strict=false"],
                    env=env)
        self._wait_ready()
        return self

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        with open(self.folder / f"{name}.log", "w") as log:  # the child keeps its own copy
            self.procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, env=env,
                                               start_new_session=True))

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_bundle))

    def _wait_ready(self, timeout: float = 20) -> None:
        try:
            wait_for(self._answers, f"pebble to answer at {self.directory}", timeout, 0.1)
        except AssertionError as exc:
            self.stop()
            raise RuntimeError(f"{exc}: {(self.folder / 'pebble.log').read_text()[-2000:]}"
                               ) from None

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.directory, context=self._context(), timeout=2):
                return True
        except OSError:
            return False

    def root_pem(self) -> bytes:
        """The root pebble issues under (it changes every time pebble starts)."""
        url = f"https://127.0.0.1:{self.management_port}/roots/0"
        with urllib.request.urlopen(url, context=self._context(), timeout=5) as resp:
            return resp.read()

    def _challtest(self, path: str, body: dict) -> None:
        req = urllib.request.Request(f"http://127.0.0.1:{self.challtest_port}{path}",
                                     data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=5) as resp:
            resp.read()

    def servfail(self, host: str) -> None:
        """Answer SERVFAIL for every lookup of ``host``: an unresolvable domain."""
        self._challtest("/set-servfail", {"host": host.rstrip(".") + "."})

    def set_txt(self, host: str, value: str) -> None:
        self._challtest("/set-txt", {"host": host.rstrip(".") + ".", "value": value})

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()
