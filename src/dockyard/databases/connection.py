"""A database's connection details and the bindable variables apps read."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from dockyard.errors import DockyardError

NAME_MAX = 63  # PostgreSQL's NAMEDATALEN - 1
RESERVED_NAMES = frozenset({"postgres", "template0", "template1", "dockyard", "public"})


@dataclass(frozen=True)
class Connection:
    """Where an app connects; ``repr`` leaves the password out so tracebacks can't leak it."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    database: str
    sslmode: str = "disable"

    @property
    def netloc_host(self) -> str:
        """The host as a URL writes it: an IPv6 address goes in brackets (``[::1]``)."""
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def url(self) -> str:
        user, pw = quote(self.username, safe=""), quote(self.password, safe="")
        url = (f"postgresql://{user}:{pw}@{self.netloc_host}:{self.port}/"
               f"{quote(self.database, safe='')}")
        return url if self.sslmode == "disable" else f"{url}?sslmode={self.sslmode}"

    @property
    def masked_url(self) -> str:
        """The URL with ``***`` for the password, safe to print."""
        return self.url.replace(":" + quote(self.password, safe="") + "@", ":***@", 1)

    @property
    def jdbc_url(self) -> str:
        user, pw = quote(self.username, safe=""), quote(self.password, safe="")
        return (f"jdbc:postgresql://{self.netloc_host}:{self.port}/"
                f"{quote(self.database, safe='')}"
                f"?user={user}&password={pw}&sslmode={self.sslmode}")

    def bindables(self) -> dict[str, str]:
        """The values behind ``${<db>.DATABASE_URL}`` and friends."""
        return {"DATABASE_URL": self.url, "HOSTNAME": self.host, "PORT": str(self.port),
                "USERNAME": self.username, "PASSWORD": self.password,
                "DATABASE": self.database, "CA_CERT": "", "JDBC_DATABASE_URL": self.jdbc_url}

    @classmethod
    def from_url(cls, url: str) -> Connection:
        """Parse ``postgres://user:pass@host:port/db?sslmode=…`` (external clusters)."""
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql") or not parts.hostname:
            raise DockyardError("a PostgreSQL URL must look like "
                                "postgres://USER:PASSWORD@HOST:PORT/DATABASE",
                                code="database.invalid_url")
        try:
            port = parts.port or 5432
        except ValueError:
            raise DockyardError(f"the PostgreSQL URL's port "
                                f"{parts.netloc.rpartition('@')[2].rpartition(':')[2]!r} "
                                "is not a number from 1 to 65535",
                                code="database.invalid_url") from None
        query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
        return cls(host=parts.hostname, port=port,
                   username=unquote(parts.username or ""), password=unquote(parts.password or ""),
                   database=unquote(parts.path.lstrip("/")) or "postgres",
                   sslmode=query.get("sslmode", "prefer"))


def default_name(*parts: str, suffix: str = "") -> str:
    """A safe identifier from app and component names: lowercase, ``[a-z0-9_]``, ≤ 63 bytes.

    Long names are cut and end with a hash of the whole, so two long names stay distinct.
    """
    raw = "_".join(parts)
    base = re.sub(r"[^a-z0-9_]+", "_", raw.lower()).strip("_") or "db"
    if not base[0].isalpha():
        base = "db_" + base
    room = NAME_MAX - len(suffix)
    if len(base) > room:
        base = base[:room - 9].rstrip("_") + "_" + hashlib.sha256(raw.encode()).hexdigest()[:8]
    return base + suffix


def check_name(component: str, field_name: str, value: str) -> str:
    """A user-chosen ``db_name``/``db_user`` is used as given, within PostgreSQL's rules."""
    problem = None
    if not value or len(value.encode()) > NAME_MAX:
        problem = f"must be 1 to {NAME_MAX} bytes long"
    elif value.lower().startswith("pg_") or value.lower() in RESERVED_NAMES:
        problem = "is reserved (pg_*, postgres, template0/1, dockyard, public)"
    if problem:
        raise DockyardError(f"databases '{component}': {field_name} '{value}' {problem}",
                            code="database.invalid_name",
                            hint=f"Fix: choose another {field_name}, or remove it to use the "
                                 "default <app>_<component>.")
    return value
