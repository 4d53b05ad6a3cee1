"""The ingress program's process: the loop of ``manager.Manager`` until SIGTERM.

It runs as supervisord program ``dockyard-ingress`` in public mode, beside the API server
rather than inside it: the ACME client's libraries (acme, josepy, requests, pyOpenSSL) stay
out of the long-running API process, an ACME order never shares an event loop with API
requests, and a crash here restarts this program alone (docs/design.md "Public mode").
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from dockyard.ingress.manager import Alert, Manager
from dockyard.paths import Home
from dockyard.settings import Settings


def issuer_for(home: Home, settings: Settings) -> Any:
    """A callable that makes the ACME client once, on the first certificate it is asked for."""
    made: list[Any] = []
    lock = threading.Lock()

    def get() -> Any:
        from dockyard.ingress.acme import AcmeClient, AcmeConfig

        with lock:
            if not made:
                config = AcmeConfig(settings.acme_directory, settings.email,
                                    settings.acme_ca_bundle, settings.acme_eab_kid,
                                    eab_hmac_key(home) if settings.acme_eab_kid else "")
                made.append(AcmeClient(config, home.ingress / "account-key.pem"))
            return made[0]

    return get


def eab_path(home: Home):  # type: ignore[no-untyped-def]
    return home.ingress / "eab-hmac-key"


def eab_hmac_key(home: Home) -> str:
    """The external account binding's HMAC key, stored encrypted with ``secrets.key``."""
    from dockyard.release.secrets import SecretBox

    return SecretBox(home.secrets_key).decrypt(eab_path(home).read_text().strip())


def run(home: Home, settings: Settings, store: Any, router: Any, alert: Alert) -> None:
    """Serve until SIGTERM/SIGINT (supervisord stops programs with SIGTERM)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    certificates = router.certificates()
    certificates.ensure_files()
    manager = Manager(home.ingress, settings, store.list_apps, certificates,
                      issuer_for(home, settings), alert)
    logging.getLogger("dockyard.ingress").info(
        "ingress: ACME directory %s, apps at https://<app>.%s", settings.acme_directory,
        settings.domain)
    manager.run(stop)
