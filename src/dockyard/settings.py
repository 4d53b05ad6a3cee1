"""Installation settings, persisted in ``DOCKYARD_HOME/config.json``.

Ports are chosen free on 127.0.0.1 the first time and then kept, so the API URL and every
app's live URL stay the same across ``dockyard down``/``up`` and reboots. Environment variables
(``DOCKYARD_API_PORT``, ``DOCKYARD_ROUTER_PORT``) override them.

Public mode (``dockyard up --public --domain D``) is a handful of settings more: HAProxy's
public ports and bind addresses, the ACME directory, and the renewal and retry timings. An
app's URL is made here and nowhere else (``live_url`` / ``live_host`` / ``default_ingress``).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dockyard.paths import Home

LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
DAY = 86400.0


def free_port(host: str = "127.0.0.1", avoid: set[int] | frozenset[int] = frozenset()) -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in avoid:
            return port


@dataclass
class Settings:
    api_host: str = "127.0.0.1"
    api_port: int = 0
    router_port: int = 0                    # shared port: <app>.localhost and domains by Host
    postgres_port: int = 0                  # the managed PostgreSQL (127.0.0.1 only)
    keep_releases: int = 10
    push_poll_seconds: float = 10           # deploy_on_push watcher interval (0: off)
    metrics_seconds: float = 10             # metric sample interval (CPU, memory, traffic)
    metrics_keep_days: float = 14           # how long metric samples are kept
    smtp_host: str = ""                     # alert e-mail; empty: e-mail alerts fail, recorded
    smtp_port: int = 25
    smtp_sender: str = "dockyard@localhost"
    isolation: str = "auto"                 # "off": apps run as Dockyard's user, no limits
    allow_python_downloads: bool = False
    strict_python: bool = False
    runtime: str = "local"                  # where apps run: local, or kubernetes
    kubeconfig: str = ""                    # kubernetes: the cluster (a file kubectl can use)
    image_registry: str = ""                # kubernetes: where release images are pushed
    image_registry_insecure: bool = False   # kubernetes: push over plain HTTP (no TLS check)
    image_store: str = ""                   # kubernetes: buildah storage, base images
                                            # (default DOCKYARD_HOME/images)
    kube_context: str = ""                  # kubernetes: a context of the kubeconfig
    kube_base_domain: str = ""              # kubernetes: apps without domains at <app>.<this>
    kube_ingress_class: str = "nginx"
    kube_cluster_issuer: str = "letsencrypt"  # cert-manager ClusterIssuer; "" = plain HTTP
    kube_rollout_timeout: float = 600       # kubernetes: one Deployment's rollout, at most
    docr_registry: str = ""                 # image sources of registry_type DOCR come from
    #                                         here, e.g. registry.digitalocean.com/my-team
    # registry host -> the registry its images are pulled from instead, for image sources and
    # Dockerfile FROMs alike: {"docker.io": "mirror.example.com"}; tests map docker.io to a
    # local registry on 127.0.0.1 so that nothing reaches the internet
    registry_mirrors: dict[str, str] = field(default_factory=dict)
    # -- public mode (docs/design.md "Public mode") -------------------------------------------
    public: bool = False                    # HAProxy on :80/:443, ACME certificates
    domain: str = ""                        # every app is https://<app>.<domain>
    email: str = ""                         # the ACME account's contact (expiry mail)
    http_port: int = 80
    https_port: int = 443
    bind: list[str] = field(default_factory=lambda: ["::"])  # "::" is IPv4 and IPv6
    api_domain: str = ""                    # the API's public host; default dockyard.<domain>
    api_allow: list[str] = field(default_factory=list)       # source networks (empty: all)
    acme_directory: str = LETS_ENCRYPT
    acme_ca_bundle: str = ""                # CA file the ACME directory is checked against
    acme_eab_kid: str = ""                  # external account binding (HMAC key encrypted)
    dns01_hook: str = ""                    # program that publishes DNS-01 TXT records
    renew_before_seconds: float = 30 * DAY  # renew when a certificate has less left
    cert_retry_seconds: float = 300         # first retry after a failure, doubling ...
    cert_retry_max_seconds: float = 6 * 3600  # ... up to this
    renew_alert_failures: int = 3           # DOMAIN_FAILED after this many failed renewals
    ingress_poll_seconds: float = 1         # how often the ingress program looks at the apps
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        """The API on this machine (the CLI, ``dockyard up``): always the local listener."""
        return f"https://{self.api_host}:{self.api_port}"

    @property
    def public_api_host(self) -> str:
        """The API's host name on the public ingress (public mode only)."""
        return (self.api_domain or f"dockyard.{self.domain}").lower()

    @property
    def public_api_url(self) -> str:
        """The API as other machines reach it: through the public ingress in public mode."""
        if not self.public:
            return self.api_url
        return f"https://{self._with_port(self.public_api_host)}"

    def _with_port(self, host: str) -> str:
        return host if self.https_port == 443 else f"{host}:{self.https_port}"

    def app_host(self, name: str) -> str:
        """``<app>.<domain>``: an app's default ingress host in public mode."""
        return f"{name}.{self.domain}".lower()

    def live_url(self, port: int | None, name: str, primary: str | None = None) -> str:
        """An app's live URL (``live_url``, ``${APP_URL}``): the one place it is made.

        Local mode: each app has a port of its own on 127.0.0.1 for its whole life. Public
        mode: ``https://<primary domain>`` when the spec has one, else the default ingress
        ``https://<app>.<domain>`` (the way DigitalOcean uses ``<app>.ondigitalocean.app``).
        On a cluster: the Ingress's first host, the primary domain or ``<app>.<base
        domain>`` (none without either: the Ingress then answers any host).
        """
        if self.runtime == "kubernetes":
            host = self.live_host(port, name, primary)
            return f"{'https' if self.kube_cluster_issuer else 'http'}://{host}" if host else ""
        if self.public:
            return f"https://{self.live_host(port, name, primary)}"
        return f"http://{self.live_host(port, name, primary)}" if port else ""

    def live_host(self, port: int | None, name: str, primary: str | None = None) -> str:
        """The live URL's host, which health checks send as ``Host`` (Django checks it)."""
        if self.runtime == "kubernetes":
            base = self.kube_base_domain.strip(".")
            return (primary or (f"{name}.{base}" if base else "")).lower()
        if self.public:
            return self._with_port((primary or self.app_host(name)).lower())
        return f"127.0.0.1:{port}"

    def default_ingress(self, port: int | None, name: str) -> str:
        """``default_ingress``: the live URL without a PRIMARY domain."""
        return self.live_url(port, name)


def _path(home: Home) -> Path:
    return home.root / "config.json"


def _bad_config(path: Path, problem: str) -> Exception:
    from dockyard.errors import DockyardError

    return DockyardError(f"{path} {problem}", code="settings.invalid",
                         hint="Fix the file, or remove it to start again from the defaults "
                              "(ports are then chosen anew).")


def load_settings(home: Home) -> Settings:
    """Read the saved settings (defaults when there are none) and apply env overrides."""
    path = _path(home)
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _bad_config(path, f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _bad_config(path, f"holds a JSON {type(data).__name__}, not an object")
    known = {k: v for k, v in data.items() if k in Settings.__dataclass_fields__}
    settings = Settings(**known)
    if os.environ.get("DOCKYARD_API_PORT"):
        settings.api_port = int(os.environ["DOCKYARD_API_PORT"])
    if os.environ.get("DOCKYARD_ROUTER_PORT"):
        settings.router_port = int(os.environ["DOCKYARD_ROUTER_PORT"])
    for name, cast in (("push_poll_seconds", float), ("metrics_seconds", float),
                       ("smtp_host", str), ("smtp_port", int),
                       ("smtp_sender", str), ("keep_releases", int),
                       ("renew_before_seconds", float), ("cert_retry_seconds", float),
                       ("ingress_poll_seconds", float), ("isolation", str),
                       ("image_store", str)):
        value = os.environ.get(f"DOCKYARD_{name.upper()}")
        if value:
            setattr(settings, name, cast(value))
    return settings


RUNTIMES = ("local", "kubernetes")


def choose_runtime(settings: Settings, runtime: str | None, kubeconfig: str | None,
                   image_registry: str | None, insecure_registry: bool | None = None) -> None:
    """Apply ``dockyard up --runtime … --kubeconfig … --image-registry …`` (kept in
    config.json); a Kubernetes installation needs both a kubeconfig and a registry."""
    from dockyard.errors import DockyardError

    if runtime is not None:
        if runtime not in RUNTIMES:
            raise DockyardError(f"--runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}",
                                code="settings.runtime")
        settings.runtime = runtime
    if kubeconfig is not None:
        settings.kubeconfig = str(Path(kubeconfig).expanduser().resolve())
    if image_registry is not None:
        settings.image_registry = image_registry.rstrip("/")
    if insecure_registry is not None:
        settings.image_registry_insecure = insecure_registry
    if settings.runtime != "kubernetes":
        return
    missing = [flag for flag, value in (("--kubeconfig FILE", settings.kubeconfig),
                                        ("--image-registry R", settings.image_registry))
               if not value]
    if missing:
        raise DockyardError(f"the kubernetes runtime needs {' and '.join(missing)}",
                            code="settings.runtime",
                            hint="e.g. dockyard up --runtime kubernetes --kubeconfig "
                                 "~/.kube/config --image-registry registry.example.com/dockyard")
    if not Path(settings.kubeconfig).is_file():
        raise DockyardError(f"--kubeconfig {settings.kubeconfig}: no such file",
                            code="settings.kubeconfig")


def ensure_settings(home: Home) -> Settings:
    """Load settings, pick free ports for any unset, and save them (atomically)."""
    settings = load_settings(home)
    if not settings.api_port:
        settings.api_port = free_port()
    if not settings.router_port:
        settings.router_port = free_port(avoid={settings.api_port})
    if not settings.postgres_port:
        settings.postgres_port = free_port(avoid={settings.api_port, settings.router_port})
    save_settings(home, settings)
    return settings


def save_settings(home: Home, settings: Settings) -> None:
    path = _path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2) + "\n")
    os.replace(tmp, path)
