"""Which ``databases:`` components Dockyard can provide."""

from __future__ import annotations

from dockyard.errors import DockyardError

SUPPORTED = ("PG",)


def _where(component: str, index: int | None) -> str:
    return f"databases[{index}] '{component}'" if index is not None else \
        f"databases[…] '{component}'"


def check_engine(component: str, engine: str | None, *, index: int | None = None) -> None:
    """Only PostgreSQL for now; every other engine (and UNSET) is a clear error."""
    value = str(getattr(engine, "value", engine) or "UNSET").upper()
    if value in SUPPORTED:
        return
    if value == "UNSET":
        raise DockyardError(f"{_where(component, index)}: engine is not set; Dockyard "
                            "provides PG databases", code="database.engine_unsupported",
                            hint="Fix: add `engine: PG` to the database component.")
    raise DockyardError(f"{_where(component, index)}: engine {value} is not supported yet by "
                        "Dockyard (only PG)", code="database.engine_unsupported",
                        hint="Fix: use `engine: PG`, or point the app at an external server "
                             "with a plain env var.")


def major(version: str) -> str:
    """``"15"``, ``"15.3"`` and ``"v15"`` all name major version 15."""
    return version.strip().lstrip("vV").split(".")[0]


def check_version(component: str, requested: str | None, server: str) -> str | None:
    """A dev database runs on the server's major version. An older request is upgraded, as
    DigitalOcean upgrades retired versions (the returned note says so); a newer one than the
    server has is refused."""
    if requested is None or str(requested).strip() == "":
        return None
    want, have = _int(major(str(requested))), _int(major(server))
    if want is None or have is None or want > have:
        raise DockyardError(
            f"databases '{component}': version {requested} was requested, but Dockyard's "
            f"PostgreSQL server is version {major(server)}", code="database.version_mismatch",
            hint=f"Fix: install PostgreSQL {major(str(requested))} on the host, or set "
                 f'`version: "{major(server)}"` (or remove `version`).')
    if want < have:
        return (f"databases '{component}': version {requested} was requested; it runs on "
                f"PostgreSQL {have}, the server's version (DigitalOcean also upgrades retired "
                "versions)")
    return None


def check_cluster_version(component: str, requested: str | None, cluster: str,
                          found: str) -> None:
    """A production database runs on its cluster as it is: another major is refused."""
    if requested is None or str(requested).strip() == "":
        return
    if major(str(requested)) != major(found):
        raise DockyardError(
            f"databases '{component}': version {requested} was requested, but cluster "
            f"'{cluster}' runs PostgreSQL {major(found)}", code="database.version_mismatch",
            hint=f'Fix: set `version: "{major(found)}"`, or use a cluster of version '
                 f"{major(str(requested))}.")


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None
