"""Entry point of supervisord program ``dockyard-ingress`` (public mode): certificates for
every app's domains, with ``DOMAIN_LIVE``/``DOMAIN_FAILED`` sent through the app's alert rules
(``deploy.notify``). The work itself is ``dockyard.ingress``."""

from __future__ import annotations


def main() -> None:
    from dockyard.deploy.notify import notify
    from dockyard.deploy.services import Services
    from dockyard.ingress.program import run

    services = Services.from_home()

    def alert(app_id: str, rule: str, message: str) -> None:
        app = services.store.find_app(app_id)
        if app is not None:
            notify(services, app, None, rule, message)

    try:
        run(services.home, services.settings, services.store, services.router, alert)
    finally:
        services.close()


if __name__ == "__main__":
    main()
