"""What the dashboard tests do on a page: open an app and its tabs, watch deployments as the
page shows them, roll back through the dialog."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import wait_for

TERMINAL = {"ACTIVE", "SUPERSEDED", "ERROR", "CANCELED"}


def open_app(page: Any, site: Any = None, name: str = "dashdemo") -> None:
    """From the apps list, the app's overview (its deployments listed)."""
    page.click(f"a.app-link:text('{name}')")
    page.wait_for_url(re.compile(r"/dashboard/apps/"))
    page.wait_for_selector("#deployments tr[data-deployment]")


def open_tab(page: Any, tab: str) -> None:
    """One of the app's pages, by its tab ("" is the overview)."""
    page.click(f"nav.tabs a[data-tab='{tab}']")
    page.wait_for_url(re.compile(rf"/dashboard/apps/[^/]+{'/' + tab if tab else ''}$"))
    page.wait_for_selector("#app-name:not(:text('…'))")  # the app has been read


def top_row(page: Any) -> dict[str, str] | None:
    """The newest deployment row as the overview shows it (id and phase)."""
    return page.evaluate("""() => {
        const row = document.querySelector('#deployments tr[data-deployment]');
        return row ? {id: row.dataset.deployment, phase: row.dataset.phase} : null; }""")


def watch_phases(page: Any, after: str | None, timeout: float = 180) -> tuple[str, list[str]]:
    """Phases the overview shows for the first deployment newer than ``after``, until it
    ends."""
    seen: list[str] = []

    def ended() -> str | None:
        row = top_row(page)
        if not row or row["id"] == after:
            return None
        if not seen or seen[-1] != row["phase"]:
            seen.append(row["phase"])
        return row["id"] if row["phase"] in TERMINAL else None

    try:
        return wait_for(ended, f"the deployment after {after} to end", timeout, 0.1), seen
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the page showed {seen}") from None


def roll_back(page: Any, *, pin: bool, target: str | None = None) -> None:
    """The header's Roll back (or a row's): the dialog checks the release, then goes."""
    if target:
        page.click(f"#deployments tr[data-deployment='{target}'] button:text('Roll back here')")
    else:
        page.click("#rollback")
    page.wait_for_selector("#rollback-check .ok")  # rollback/validate said yes
    if not pin:
        page.uncheck("#rollback-pin")
    page.click("#rollback-go")
