"""Entry point of supervisord program ``dockyard-ingress`` (public mode): certificates for
every app's domains, with ``DOMAIN_LIVE``/``DOMAIN_FAILED`` sent through the app's alert rules
(``deploy.notify``). The work itself is ``dockyard.ingress``."""

from __future__ import annotations


def main() -> None:
    from dockyard.deploy.notify import notify
    from dockyard.deploy.platform import Platform
    from dockyard.ingress.program import run

    platform = Platform.from_home()

    def alert(app_id: str, rule: str, message: str) -> None:
        app = platform.store.find_app(app_id)
        if app is not None:
            notify(platform, app, None, rule, message)

    try:
        run(platform.home, platform.settings, platform.store, platform.router, alert)
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
