"""Shared fixtures: a real Dockyard server (``dockyard up`` in a temporary home), the CLI run
as a subprocess, and HTTPS requests to the API with real tokens."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    """Once per run (in the controller when pytest-xdist runs workers): last run's test
    artifacts go, so what is there is this run's; and temporary folders start from a short
    one of this run's own (``/tmp/dy-XXXXXXXX``, workers below it as ``gw0`` …), since a
    Dockyard home under them must leave its unix socket paths within their limits (HAProxy
    takes 97 characters), and pytest's default (``/tmp/pytest-of-root/pytest-N/popen-gw0/``)
    eats most of that."""
    if hasattr(config, "workerinput"):
        return
    import shutil
    import tempfile

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    if not config.option.basetemp:
        config.option.basetemp = tempfile.mkdtemp(prefix="dy-")
        config.stash[OWN_BASETEMP] = config.option.basetemp


OWN_BASETEMP = pytest.StashKey[str]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A passing run's temporary folders go (a failing run's stay, to be looked at)."""
    own = session.config.stash.get(OWN_BASETEMP, None)
    if own and exitstatus == 0 and not hasattr(session.config, "workerinput"):
        import shutil

        shutil.rmtree(own, ignore_errors=True)
DOCKYARD = str(Path(sys.executable).parent / "dockyard")
EXAMPLE = ROOT / "examples" / "profileapp"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]


class Dockyard:
    """One installation in a temporary DOCKYARD_HOME, driven like a user would."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {**os.environ, "DOCKYARD_HOME": str(home)}
        self.env.pop("DOCKYARD_TOKEN", None)

    def cli(self, *args: str, input: str | None = None, check: bool = True,
            env: dict[str, str] | None = None, timeout: float = 600) -> Result:
        proc = subprocess.run([DOCKYARD, *args], capture_output=True, text=True, input=input,
                              env={**self.env, **(env or {})}, timeout=timeout,
                              stdin=None if input is not None else subprocess.DEVNULL)
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"dockyard {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return result

    @property
    def status(self) -> dict[str, Any]:
        return self.cli("status", "--output", "json").json()

    @property
    def api_url(self) -> str:
        return self.status["api_url"]

    @property
    def admin_token(self) -> str:
        return (self.home / "admin.token").read_text().strip()

    def request(self, method: str, path: str, body: Any = None, *,
                token: str | None = "admin", raw: bytes | None = None) -> Response:
        """An HTTPS request trusting Dockyard's CA; ``token=None`` sends no token."""
        ctx = ssl.create_default_context(cafile=str(self.home / "tls" / "ca.pem"))
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + (self.admin_token if token == "admin"
                                                    else token)
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.api_url + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=60) as resp:
                payload = resp.read()
                status, hdrs = resp.status, dict(resp.headers)
        except urllib.error.HTTPError as err:
            payload, status, hdrs = err.read(), err.code, dict(err.headers)
        return Response(status, json.loads(payload) if payload.strip() else None, hdrs)


def shared_uv_cache() -> Path:
    """uv's own cache (warm on a developer machine) unless DOCKYARD_TEST_UV_CACHE says else."""
    from dockyard.buildpacks.envcache import user_uv_cache

    path = Path(os.environ.get("DOCKYARD_TEST_UV_CACHE") or user_uv_cache())
    path.mkdir(parents=True, exist_ok=True)
    return path


def warm_home(root: Path) -> Path:
    """A DOCKYARD_HOME folder whose package cache is the warm one (builds skip downloads)."""
    (root / "cache").mkdir(parents=True)
    (root / "cache" / "uv").symlink_to(shared_uv_cache(), target_is_directory=True)
    return root


def forget_installation(home: Path) -> None:
    """What a test installation leaves outside its home (as root): its apps' users and its
    published static sites, which ``dockyard down`` keeps, as it should for a real
    installation; and the cgroups of what still ran at ``down`` (a killed API's jobs)."""
    import shutil

    from dockyard.isolation import cgroups, users
    from dockyard.router.files import Layout

    for name in users.of_installation(home):
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["groupdel", name], capture_output=True)
    shutil.rmtree(Layout((home / "router").absolute()).sites, ignore_errors=True)
    cgroups.sweep(cgroups.installation_id(home))


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30.0,
             interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` and the last
    value (Datasette's conftest habit)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"Timed out waiting for {what} (last: {last!r})")


@pytest.fixture(scope="session")
def dockyard(tmp_path_factory: pytest.TempPathFactory):
    """A running Dockyard shared by the API and CLI tests (stopped at the end, by pid)."""
    instance = Dockyard(tmp_path_factory.mktemp("dockyard-home"))
    instance.cli("up")
    yield instance
    instance.cli("down", check=False)
    forget_installation(instance.home)


@pytest.fixture
def spec_text() -> str:
    return (EXAMPLE / "config" / "app.yaml").read_text()
