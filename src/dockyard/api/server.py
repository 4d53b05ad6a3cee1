"""The API server process (run by supervisord as program ``dockyard-api``).

``python -m dockyard.api.server`` serves HTTPS on the configured port until stopped.
"""

from __future__ import annotations

import logging

from dockyard.paths import Home


def serve(home: Home) -> None:
    import uvicorn

    from dockyard.api.app import create_app
    from dockyard.api.tls import tls_files
    from dockyard.deploy.platform import Platform
    from dockyard.secrets import read_admin_token
    from dockyard.settings import load_settings
    from dockyard.store import Store

    settings = load_settings(home)
    store = Store(home.db)
    store.ensure_token("admin", read_admin_token(home))
    platform = Platform(home, settings, store)
    platform.start()
    watch_supervisord(home)
    tls = tls_files(home.tls)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        uvicorn.run(create_app(platform), host=settings.api_host, port=settings.api_port,
                    ssl_certfile=str(tls.cert), ssl_keyfile=str(tls.key),
                    log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    finally:
        platform.stop()


def watch_supervisord(home: Home, interval: float = 1.0) -> None:
    """Bring Dockyard back by itself when supervisord is killed: its programs (this server
    among them) lose their parent; a detached ``dockyard up`` stops them and starts afresh."""
    import os
    import subprocess
    import threading
    import time

    from dockyard.entrypoints import CONTROL, argv

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        logging.getLogger("dockyard.api").error(
            "supervisord (pid %s) is gone: starting a detached `dockyard up` to recover", parent)
        with open(home.root / "logs" / "recover.log", "ab") as log:
            subprocess.Popen(argv(CONTROL, "recover"), stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True,
                             env={**os.environ, "DOCKYARD_HOME": str(home.root)})

    threading.Thread(target=watch, daemon=True, name="supervisord-watch").start()


if __name__ == "__main__":
    serve(Home.default())
