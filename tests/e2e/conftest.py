"""End-to-end fixtures: a running Dockyard whose git resolves GitHub URLs to local repos.

Real git, uv, supervisord, HAProxy, nginx and gunicorn; traffic only on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import shutil
import subprocess
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, Dockyard, forget_installation, warm_home
from tests.source.gitrepo import commit, git, make_repo  # noqa: F401 - re-exported for e2e

EXAMPLE_URL = "https://github.com/example/profileapp.git"
APPS = Path(__file__).resolve().parent.parent / "apps"


class Platform(Dockyard):
    """A Dockyard whose git config maps GitHub URLs to local repositories."""

    def __init__(self, home: Path, gitconfig: Path) -> None:
        super().__init__(home)
        self.gitconfig = gitconfig
        self.env["GIT_CONFIG_GLOBAL"] = str(gitconfig)

    def map_url(self, url: str, repo: Path) -> None:
        subprocess.run(["git", "config", "--file", str(self.gitconfig), "--replace-all",
                        f"url.{repo}.insteadOf", url], check=True)

    def deploy_spec(self, spec: Path, *, check: bool = True):  # type: ignore[no-untyped-def]
        return self.cli("apps", "create", "--spec", str(spec), "--upsert", "--update-sources",
                        "--wait", "--output", "json", check=check)

    def app(self, name: str) -> dict:
        return self.cli("apps", "get", name, "--output", "json").json()[0]


def get(url: str, path: str = "/", host: str | None = None,
        timeout: float = 10) -> tuple[int, bytes, dict[str, str]]:
    """One HTTP GET on a fresh connection (127.0.0.1 only)."""
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        headers = {"Host": host} if host else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read(), dict(resp.headers)
    finally:
        conn.close()


def example_spec(tmp_path: Path, name: str, edit: Callable[[str], str] = lambda s: s,
                 text: str | None = None) -> Path:
    """The example's app.yaml (or ``text``) renamed to ``name`` and edited, as a file."""
    body = (text or (EXAMPLE / "config" / "app.yaml").read_text()).replace(
        "name: profileapp", f"name: {name}", 1)
    path = tmp_path / f"{name}.yaml"
    path.write_text(edit(body))
    return path


def own_example(platform: Platform, tmp_path: Path, name: str) -> tuple[dict, Path]:
    """The example deployed as app ``name`` from a repository of its own (which a test may
    commit to without changing what other tests see)."""
    repo = make_repo(tmp_path / name, EXAMPLE)
    platform.map_url(f"https://github.com/example/{name}.git", repo)
    platform.deploy_spec(example_spec(tmp_path, name, lambda s: s.replace(
        "example/profileapp", f"example/{name}")))
    return platform.app(name), repo


def answers(url: str, path: str = "/", text: bytes = b"") -> bool:
    """Whether ``url`` answers 200 on ``path`` (with ``text`` in the body) right now."""
    try:
        status, body, _ = get(url, path)
    except OSError:
        return False
    return status == 200 and text in body


def new_platform(root: Path, **env: str) -> Platform:
    """A Dockyard in ``root`` (not started) with a warm package cache and its own git config."""
    home = warm_home(root / "home")
    gitconfig = root / "gitconfig"
    gitconfig.write_text("")
    instance = Platform(home, gitconfig)
    instance.env.update(env)
    return instance


def deploy_app(platform: Platform, tmp_path: Path, spec: str,
               fixture: str | None = None) -> dict:
    """Deploy ``spec`` (its first line names the app) and return the app; with ``fixture``,
    ``tests/apps/<fixture>`` is first committed as the repository example/<app name>."""
    name = spec.split("\n", 1)[0].removeprefix("name: ").strip()
    repo = None
    if fixture:
        repo = make_repo(tmp_path / fixture, APPS / fixture, ignore=("node_modules", "bin"))
        platform.map_url(f"https://github.com/example/{name}.git", repo)
    path = tmp_path / "app.yaml"
    path.write_text(spec)
    platform.deploy_spec(path)
    return {**platform.app(name), "repo": repo, "name": name}


def build_log(platform: Platform, app: str, component: str) -> str:
    return platform.cli("apps", "logs", app, component, "--type", "build").out


def deploy_copy(platform: Platform, root: Path, source: Path, name: str) -> Path:
    """Publish ``source`` (a test app whose spec is ``app.yaml``, named ``zerodown``) as the
    repository of app ``name`` and deploy it; returns the repository."""
    repo = make_repo(root / name, source)
    platform.map_url(f"https://github.com/example/{name}.git", repo)
    spec = root / f"{name}.yaml"
    spec.write_text((source / "app.yaml").read_text().replace("name: zerodown", f"name: {name}")
                    .replace("repo: example/zerodown", f"repo: example/{name}"))
    platform.deploy_spec(spec)
    return repo


def stop(instance: Platform) -> None:
    """``dockyard down``, then remove a PostgreSQL cluster kept outside the home (as root the
    cluster lives under /var/lib/dockyard/postgres/<hash>, linked from the home)."""
    instance.cli("down", check=False)
    link = instance.home / "postgres" / "data"
    if link.is_symlink():
        shutil.rmtree(link.resolve().parent, ignore_errors=True)
    forget_installation(instance.home)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    instance = new_platform(tmp_path_factory.mktemp("e2e"))
    instance.env["DOCKYARD_PUSH_POLL_SECONDS"] = "0"  # tests deploy explicitly
    instance.cli("up")
    yield instance
    stop(instance)


@pytest.fixture(scope="session")
def profile_repo(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("repos") / "profileapp", EXAMPLE)
    platform.map_url(EXAMPLE_URL, repo)
    return repo
