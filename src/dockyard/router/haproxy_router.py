"""HAProxy in front, nginx for static sites: the ``Router`` Dockyard ships with.

Services are switched through HAProxy's runtime API (no reload); static sites by renaming a
``current`` symlink (no reload). Reloads happen only when ``apply``/``remove`` change the
shape of a config (apps, routes, sites, instance counts). Every change is also written to
state.json and the config files, so a restart comes back serving the same backends.
"""

from __future__ import annotations

import grp
import hashlib
import http.client
import os
import pwd
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.errors import DockyardError, NotFound
from dockyard.files import UnsafePath, opened
from dockyard.paths import Home
from dockyard.router import runtime
from dockyard.router.certs import Certificates
from dockyard.router.files import (
    Layout,
    binary,
    check_config,
    haproxy_check_argv,
    load_json,
    locked,
    nginx_check_argv,
    save_json,
    stage,
)
from dockyard.router.haproxy_conf import render_haproxy, service_backend, site_host, structure
from dockyard.router.model import (
    AppRouting,
    Program,
    PublicIngress,
    Slot,
    app_from_dict,
    app_to_dict,
    check_app,
    check_public,
    ident,
)
from dockyard.router.nginx_conf import render_nginx
from dockyard.router.processes import accepts, free_port, reload_nginx
from dockyard.router.slots import fit_slots, plan_switch, servers_on
from dockyard.router.stats import ServiceCounters, parse_stat
from dockyard.settings import Settings

STATE_VERSION = 1


@dataclass
class State:
    """What the router knows between calls (state.json)."""

    nginx_port: int
    apps: dict[str, AppRouting] = field(default_factory=dict)
    slots: dict[str, dict[str, list[Slot]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"version": STATE_VERSION, "nginx_port": self.nginx_port,
                "apps": {k: app_to_dict(a) for k, a in sorted(self.apps.items())},
                "slots": {k: {c: [s.to_list() for s in pairs] for c, pairs in v.items()}
                          for k, v in sorted(self.slots.items())}}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> State:
        apps = {k: app_from_dict(v) for k, v in dict(raw.get("apps") or {}).items()}
        slots = {k: {c: [Slot.from_list(s) for s in pairs] for c, pairs in v.items()}
                 for k, v in dict(raw.get("slots") or {}).items()}
        return cls(int(raw["nginx_port"]), apps, slots)


class HAProxyRouter:
    """The router: configs, runtime switching and static-site publishing under ``home``."""

    def __init__(self, home: Path, *, shared_port: int | None = None,
                 public: PublicIngress | None = None) -> None:
        self.layout = Layout(Path(home).absolute())
        self.shared_port = shared_port
        self.public = public
        if public is not None:
            check_public(public)

    @classmethod
    def from_settings(cls, home: Home, settings: Settings) -> HAProxyRouter:
        """The installation's router: local ports always, public listeners in public mode."""
        return cls(home.router, shared_port=settings.router_port,
                   public=public_ingress(home, settings) if settings.public else None)

    def certificates(self) -> Certificates:
        """The public HTTPS certificates (public mode only)."""
        if self.public is None:
            raise DockyardError("certificates exist only in public mode",
                                code="router.not_public",
                                hint="Start Dockyard with `dockyard up --public --domain D`.")
        return Certificates(self.public, self.layout.stats_socket, self.layout.lock)

    def refresh(self) -> None:
        """Rewrite the configs from the saved state (after settings changed) and reload
        HAProxy if their shape changed."""
        with locked(self.layout.lock):
            state = self._load()
            self._change(state, State.from_dict(state.to_dict()))

    # -- processes -------------------------------------------------------------------------
    def programs(self) -> list[Program]:
        """haproxy (master-worker) and nginx in the foreground; writes configs if missing."""
        self._ensure_configs()
        lay = self.layout
        haproxy = [binary("haproxy"), "-W", "-db", "-f", str(lay.haproxy_cfg),
                   "-S", f"{lay.master_socket},mode,600"]
        nginx = [binary("nginx"), "-p", f"{lay.nginx_prefix}/", "-e", str(lay.nginx_error_log),
                 "-c", str(lay.nginx_conf), "-g", "daemon off;"]
        return [Program("dockyard-haproxy", prestart(lay.haproxy_pid, "haproxy", haproxy),
                        cwd=str(lay.home)),
                Program("dockyard-nginx", prestart(lay.nginx_pid, "nginx", nginx),
                        cwd=str(lay.home))]

    def ready(self) -> bool:
        """Both processes answer: HAProxy's runtime API and nginx's port."""
        try:
            runtime.command(self.layout.stats_socket, "show info", timeout=1.0)
        except (runtime.NotRunning, OSError):
            return False
        state = self._load()
        return accepts(state.nginx_port)

    # -- routing table ---------------------------------------------------------------------
    def apply(self, apps: list[AppRouting]) -> None:
        """Add or replace these apps (others stay until ``remove``); reload only on shape change."""
        for app in apps:
            check_app(app)
        with locked(self.layout.lock):
            state = self._load()
            previous = State.from_dict(state.to_dict())
            for app in apps:
                state.apps[app.app_id] = app
                state.slots[app.app_id] = fit_slots(app, state.slots.get(app.app_id, {}))
            check_ports(state, self.shared_port, self.public)
            self._change(state, previous)

    def remove(self, app_id: str) -> None:
        """Drop the app from state and configs (a reload), then its site symlinks."""
        with locked(self.layout.lock):
            state = self._load()
            previous = State.from_dict(state.to_dict())
            state.apps.pop(app_id, None)
            state.slots.pop(app_id, None)
            self._change(state, previous)
        shutil.rmtree(self.layout.sites / ident(app_id), ignore_errors=True)

    # -- services --------------------------------------------------------------------------
    def switch(self, app_id: str, targets: dict[str, list[int]]) -> None:
        """Point each component's instances at new ports in one runtime-API line; no reload."""
        with locked(self.layout.lock):
            state = self._load()
            app = self._app(state, app_id)
            plan = plan_switch(app, state.slots.get(app_id, {}), targets)
            if not plan.addr:
                return
            try:
                with runtime.conversation(self.layout.stats_socket) as talk:
                    runtime.check_addr_answers(plan.addr, talk.send("; ".join(plan.addr)))
                    runtime.check_empty_answers(plan.states, talk.send("; ".join(plan.states)))
            except runtime.NotRunning:
                pass  # HAProxy starts from the files written below
            except OSError as exc:
                raise DockyardError(f"HAProxy's runtime API failed during the switch: {exc}",
                                    code="router.runtime_api",
                                    hint="Check the dockyard-haproxy program, then deploy "
                                         "again.") from exc
            state.slots[app_id] = plan.slots
            self._write(state)

    def active(self, app_id: str) -> dict[str, list[int]]:
        """The port each instance's live slot points at, per service component."""
        slots = self._load().slots.get(app_id, {})
        return {comp: [p for s in pairs if s.active and (p := s.port(s.active))]
                for comp, pairs in slots.items()}

    def sessions(self, app_id: str, component: str, ports: list[int]) -> int:
        """Current sessions (``scur``) on the slots holding ``ports``; 0 when HAProxy is down."""
        names = servers_on(self._load().slots.get(app_id, {}), component, list(ports))
        if not names:
            return 0
        backend = service_backend(app_id, component)
        try:
            answer = runtime.command(self.layout.stats_socket, f"show stat {backend} 4 -1")
        except runtime.NotRunning:
            return 0
        return runtime.current_sessions(answer, names)

    def counters(self) -> dict[str, dict[str, ServiceCounters]]:
        """app id → service component → its backend's and servers' counters (empty when
        HAProxy is not running)."""
        state = self._load()
        try:
            rows = parse_stat(runtime.command(self.layout.stats_socket, "show stat -1 6 -1"))
        except (runtime.NotRunning, OSError):
            return {}
        out: dict[str, dict[str, ServiceCounters]] = {}
        for app_id, app in state.apps.items():
            for svc in app.services:
                backend = service_backend(app_id, svc.component)
                if (backend, "BACKEND") not in rows:
                    continue
                entry = ServiceCounters(backend, rows[(backend, "BACKEND")])
                for i, slot in enumerate(state.slots.get(app_id, {}).get(svc.component, [])):
                    for which in ("a", "b"):
                        name = f"s{i}{which}"
                        if (backend, name) in rows:
                            entry.servers[name] = (slot.port(which), rows[(backend, name)])
                out.setdefault(app_id, {})[svc.component] = entry
        return out

    @property
    def request_log_path(self) -> Path:
        return self.layout.request_log

    # -- static sites ----------------------------------------------------------------------
    def publish_site(self, app_id: str, component: str, release_dir: Path) -> None:
        """Serve ``release_dir`` from now on: rename a new symlink over ``current``."""
        release = Path(release_dir).absolute()
        if not release.is_dir():
            raise DockyardError(f"static site {component}: {release} is not a directory",
                                code="router.bad_release",
                                hint="Build the site before publishing it.")
        link = self.layout.site_root(app_id, component)
        try:
            copy = publish_copy(release, link.parent / "releases")
        except UnsafePath as exc:
            raise DockyardError(f"static site {component}: {exc.strerror}; not published",
                                code="router.unsafe_release") from None
        tmp = link.with_name(f".current.{uuid.uuid4().hex}")
        os.symlink(copy, tmp)
        try:
            previous = os.readlink(link) if link.is_symlink() else None
            os.replace(tmp, link)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        keep = {copy.name} | ({Path(previous).name} if previous else set())
        for old in (link.parent / "releases").iterdir():
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)

    def serves_site(self, app_id: str, component: str) -> bool:
        """Does nginx answer for this site from its own server block (not an old worker's
        configuration, nor the default 404)?"""
        conn = http.client.HTTPConnection("127.0.0.1", self._load().nginx_port, timeout=2)
        try:
            conn.request("GET", "/", headers={"Host": site_host(app_id, component)})
            return conn.getresponse().getheader("X-Dockyard-Site") == component
        except OSError:
            return False
        finally:
            conn.close()

    # -- internals -------------------------------------------------------------------------
    def _app(self, state: State, app_id: str) -> AppRouting:
        if app_id not in state.apps:
            raise NotFound(f"router: app {app_id} has no routing", code="router.unknown_app",
                           hint="Call apply() with the app's routing before switching.")
        return state.apps[app_id]

    def _load(self) -> State:
        self.layout.prepare()
        raw = load_json(self.layout.state)
        if raw is None:
            return State(nginx_port=free_port())
        return State.from_dict(raw)

    def _ensure_configs(self) -> None:
        with locked(self.layout.lock):
            if not (self.layout.haproxy_cfg.exists() and self.layout.nginx_conf.exists()):
                self._write(self._load())

    def _render(self, state: State) -> tuple[str, str]:
        apps = list(state.apps.values())
        hap = render_haproxy(apps, state.slots, self.layout, nginx_port=state.nginx_port,
                             shared_port=self.shared_port, public=self.public)
        sites = [(app, site) for app in apps for site in app.sites]
        user = None
        if os.geteuid() == 0:  # workers never run as root: they only read published sites
            user = worker_user()
        ngx = render_nginx(sites, self.layout, port=state.nginx_port, user=user)
        return hap, ngx

    def _write(self, state: State) -> tuple[bool, bool]:
        """Check both configs, rename both, then save the state.

        Returns whether haproxy.cfg changed shape (beyond server lines) and whether
        nginx.conf changed: what a reload is needed for.
        """
        lay = self.layout
        if self.public is not None:  # haproxy -c needs the files the public frontends name
            Certificates(self.public, lay.stats_socket, lay.lock).ensure_files()
        hap, ngx = self._render(state)
        old_hap = lay.haproxy_cfg.read_text() if lay.haproxy_cfg.exists() else ""
        hap_tmp = stage(lay.haproxy_cfg, hap,
                        lambda p: check_config(haproxy_check_argv(p), "haproxy"))
        try:
            ngx_tmp = stage(lay.nginx_conf, ngx,
                            lambda p: check_config(nginx_check_argv(p, lay), "nginx"))
        except BaseException:
            if hap_tmp:
                hap_tmp.unlink(missing_ok=True)
            raise
        for tmp, path in ((hap_tmp, lay.haproxy_cfg), (ngx_tmp, lay.nginx_conf)):
            if tmp:
                os.replace(tmp, path)
        save_json(lay.state, state.to_dict())
        return bool(hap_tmp) and structure(hap) != structure(old_hap), bool(ngx_tmp)

    def _change(self, state: State, previous: State) -> None:
        """Write ``state`` and reload what changed; if HAProxy refuses, put ``previous`` back.

        ``haproxy -c`` cannot see a port taken by another program; the reload can. The old
        worker keeps serving then, and the files must describe it again.
        """
        haproxy_changed, nginx_changed = self._write(state)
        if haproxy_changed:
            try:
                runtime.reload_master(self.layout.master_socket)
            except DockyardError:
                self._write(previous)
                raise
        if nginx_changed:
            reload_nginx(self.layout.nginx_pid)


def public_ingress(home: Home, settings: Settings) -> PublicIngress:
    """Public mode's listeners and files, from the settings (docs/design.md "Public mode")."""
    folder = home.ingress
    return PublicIngress(domain=settings.domain.lower(), http_port=settings.http_port,
                         https_port=settings.https_port, binds=tuple(settings.bind),
                         crt_list=folder / "crt-list", challenge_map=folder / "acme-challenges.map",
                         default_cert=folder / "default.pem", api_host=settings.public_api_host,
                         api_port=settings.api_port, api_ca=home.tls / "ca.pem",
                         api_allow=tuple(settings.api_allow))


def check_ports(state: State, shared_port: int | None,
                public: PublicIngress | None = None) -> None:
    """Two listeners on one port would make the reload fail: refuse before writing."""
    owners: dict[int, str] = {state.nginx_port: "the static-site server (nginx)"}
    if shared_port:
        owners[shared_port] = "the shared router port"
    if public:
        owners[public.http_port] = "the public HTTP port"
        owners[public.https_port] = "the public HTTPS port"
    for app in sorted(state.apps.values(), key=lambda a: a.app_id):
        if app.port <= 0:
            continue
        if app.port in owners:
            raise DockyardError(f"router: app {app.name} wants port {app.port}, already used "
                                f"by {owners[app.port]}", code="router.port_conflict",
                                hint="Give each app its own free port.")
        owners[app.port] = f"app {app.name}"


def worker_user() -> tuple[str, str]:
    """nginx's workers: Debian's ``www-data``, else ``nobody``."""
    for name in ("www-data", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return name, grp.getgrgid(entry.pw_gid).gr_name
    raise DockyardError("neither www-data nor nobody exists for nginx's workers",
                        code="router.no_worker_user")


def publish_copy(release: Path, into: Path) -> Path:
    """A copy of the site that nginx's workers can read (hard links where possible, so it
    costs no space), kept by the release it came from. As root, the site's folder is
    opened without following a symlink its app's build could have left in its release
    (``site -> /root`` would publish root's files); links inside the site are copied as
    links, which nginx refuses to follow."""
    digest = hashlib.sha256(str(release).encode()).hexdigest()[:16]
    target = into / digest
    if target.is_dir():
        return target
    into.mkdir(parents=True, exist_ok=True)
    os.chmod(into, 0o755)
    tmp = into / f".{digest}.{uuid.uuid4().hex[:8]}"
    with opened(release, os.geteuid() == 0) as source:
        shutil.copytree(source, tmp, symlinks=True, copy_function=link_or_copy)
    os.chmod(tmp, 0o755)
    os.replace(tmp, target)
    return target


def link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def prestart(pidfile: Path, comm: str, command: list[str]) -> list[str]:
    """``command``, first clearing what a killed master left (``router.prestart``)."""
    from dockyard.entrypoints import ROUTER_PRESTART, argv

    return argv(ROUTER_PRESTART, str(pidfile), comm, "--", *command)
