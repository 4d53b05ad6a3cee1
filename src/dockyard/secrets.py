"""Credentials Dockyard keeps on disk: the admin API token (mode 0600).

Values are never printed or logged; only the CLI reads the token file, to authenticate.
"""

from __future__ import annotations

import secrets as _secrets

from dockyard.errors import DockyardError
from dockyard.paths import Home


def admin_token_path(home: Home):  # type: ignore[no-untyped-def]
    return home.root / "admin.token"


def ensure_admin_token(home: Home) -> None:
    """Create the admin token once (mode 0600); later calls keep it."""
    from dockyard.files import write_private

    path = admin_token_path(home)
    if not path.exists():
        write_private(path, ("dky_" + _secrets.token_urlsafe(32) + "\n").encode())


def read_admin_token(home: Home) -> str:
    path = admin_token_path(home)
    try:
        return path.read_text().strip()
    except FileNotFoundError as exc:
        raise DockyardError(f"no admin token at {path}",
                            hint="Run `dockyard up` once to create it.") from exc
