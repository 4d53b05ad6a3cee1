"""Where Dockyard keeps its state on disk (docs/architecture.md, "State on disk").

Everything lives under ``DOCKYARD_HOME`` (default ``~/.dockyard``); this module is the only
place that knows the layout, so every stage asks it instead of joining paths itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


def default_home() -> Path:
    return Path(os.environ.get("DOCKYARD_HOME") or Path.home() / ".dockyard").expanduser()


@dataclass(frozen=True)
class Home:
    """The layout of one Dockyard installation."""

    root: Path

    @classmethod
    def default(cls) -> Home:
        return cls(default_home())

    @property
    def db(self) -> Path:
        return self.root / "dockyard.db"

    @property
    def secrets_key(self) -> Path:
        return self.root / "secrets.key"

    @property
    def tls(self) -> Path:
        return self.root / "tls"

    @property
    def run(self) -> Path:
        """Pid files, sockets and the server's runtime description."""
        return self.root / "run"

    @property
    def uv_cache(self) -> Path:
        return self.root / "cache" / "uv"

    @property
    def build_cache(self) -> Path:
        return self.root / "cache" / "builds"

    @property
    def interpreter_versions(self) -> Path:
        """The host's Python interpreters and their versions, probed once (root's only)."""
        return self.root / "cache" / "interpreters.json"

    def tool_cache(self, tool: str) -> Path:
        """A package tool's own download cache (``npm``, ``corepack``, ``go``), shared by
        every build: content-addressed, safe for concurrent use, never part of a release."""
        return self.root / "cache" / tool

    @property
    def images(self) -> Path:
        """On a cluster: buildah's storage (``storage/``, ``run/``) and the base image's root
        filesystem (``rootfs/``); ``image_store`` in config.json may put it elsewhere."""
        return self.root / "images"

    @property
    def router(self) -> Path:
        return self.root / "router"

    @property
    def supervisor(self) -> Path:
        return self.root / "supervisor"

    @property
    def ingress(self) -> Path:
        """Public mode: ACME account key, certificates (0600), domain states."""
        return self.root / "ingress"

    def app(self, app_id: str) -> Path:
        return self.root / "apps" / app_id

    def repo(self, app_id: str) -> Path:
        return self.app(app_id) / "repo"

    def releases(self, app_id: str) -> Path:
        return self.app(app_id) / "releases"

    def release(self, app_id: str, deployment_id: str, component: str) -> Path:
        return self.releases(app_id) / deployment_id / component

    def instances(self, app_id: str) -> Path:
        """Writable per-instance copies of releases (ephemeral, like a container's filesystem)."""
        return self.app(app_id) / "instances"

    def data(self, app_id: str, component: str) -> Path:
        return self.app(app_id) / "data" / component

    def logs(self, app_id: str) -> Path:
        return self.app(app_id) / "logs"

    def ensure(self) -> Home:
        """Create the root (mode 0700: it holds keys and tokens)."""
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        return self


def inside(path: str) -> PurePosixPath | None:
    """``path`` as a relative path that stays inside its root (``/``, ``.`` dropped, ``..``
    folded); ``None`` when it would climb out (source_dir, output_dir)."""
    parts: list[str] = []
    for part in PurePosixPath(path.strip()).parts:
        if part in ("/", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return PurePosixPath(*parts)
