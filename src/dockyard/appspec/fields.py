"""Field types that check like DigitalOcean and explain themselves.

Each type raises one custom error whose text is the final message (what was expected, what was
found), so the loader never has to reword pydantic's generic phrases. Types are strict: doctl
decodes the spec with Go's JSON decoder, which rejects ``http_port: "8080"`` and ``value: 1``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import unquote

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from .errors import show

# Patterns are used with fullmatch(): "$" alone would accept a trailing newline ("web\n").
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
ENV_KEY_RE = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")
DURATION_RE = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")
# OpenAPI's and the docs' domain regexes differ; a domain passing either is valid.
DOMAIN_RES = (
    re.compile(r"^((xn--)?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*\.)+[a-zA-Z]{2,}\.?$"),
    re.compile(r"^([a-zA-Z0-9]+(-+[a-zA-Z0-9]+)*\.)+(xn--)?[a-zA-Z0-9]{2,}\.?$"),
)
GITHUB_REPO_RE = re.compile(r"[^/\s]+/[^/\s]+")
NESTED_REPO_RE = re.compile(r"[^/\s]+(/[^/\s]+)+")
ROUTE_CHARS = "._~!+,=:@/-"
ROUTE_PATH_RE = re.compile(r"/(?:[A-Za-z0-9._~!+,=:@/-]|%[0-9A-Fa-f]{2})*")
DOCUMENT_RE = re.compile(r"[A-Za-z0-9._~+-]+(/[A-Za-z0-9._~+-]+)*")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
LOG_DESTINATION_RE = re.compile(
    r"^[A-Za-z0-9()\[\]'\"][-A-Za-z0-9_. /()\[\]]{0,40}[A-Za-z0-9()\[\]'\"]$")
CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def spec_error(message: str) -> PydanticCustomError:
    """A validation error whose message is shown to the user verbatim."""
    return PydanticCustomError("spec", "{message}", {"message": message})


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """'; did you mean "x"?' when a close match exists, else ''."""
    if not isinstance(value, str):
        return ""
    pool = list(choices)
    close = difflib.get_close_matches(value, pool, n=1)
    if not close:
        close = [c for c in pool if c.lower() == value.lower()]
    return f'; did you mean "{close[0]}"?' if close else ""


def _need_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    hint = f'; quote it: "{show(value)}"' if isinstance(value, int | float) else ""
    raise spec_error(f"expected a string, found {show(value)}{hint}")


def _need_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise spec_error(f"expected true or false, found {show(value)}")


def _span(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f" {lo}–{hi}" if lo != hi else f" equal to {lo}"
    if lo is not None:
        return f" ≥ {lo}"
    return f" ≤ {hi}" if hi is not None else ""


def _range_check(kinds: tuple[type, ...], noun: str, lo: float | None,
                 hi: float | None) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        ok = isinstance(value, kinds) and not isinstance(value, bool)
        if ok and (lo is None or value >= lo) and (hi is None or value <= hi):
            return value
        raise spec_error(f"expected {noun}{_span(lo, hi)}, found {show(value)}")
    return check


def IntRange(lo: int | None = None, hi: int | None = None) -> Any:  # noqa: N802 (a type)
    """An integer (not a string, not a bool) within [lo, hi]."""
    return Annotated[int, BeforeValidator(_range_check((int,), "an integer", lo, hi))]


def Number(lo: float | None = None, hi: float | None = None) -> Any:  # noqa: N802
    """An int or float (not a string, not a bool) within [lo, hi]."""
    return Annotated[float, BeforeValidator(_range_check((int, float), "a number", lo, hi))]


def Enum(enum: type[StrEnum]) -> Any:  # noqa: N802
    """One of the enum's values; the message lists them all and suggests the closest."""
    allowed = [member.value for member in enum]

    def check(value: Any) -> Any:
        if isinstance(value, str) and value in allowed:
            return value
        raise spec_error(f"must be one of {', '.join(allowed)} (found {show(value)})"
                         f"{did_you_mean(value, allowed)}")
    return Annotated[enum, BeforeValidator(check)]


def OneOf(allowed: Iterable[Any], noun: str = "") -> Any:  # noqa: N802
    """A string or integer from a fixed list (instance sizes, redirect codes)."""
    values = tuple(allowed)
    kind = int if all(isinstance(v, int) for v in values) else str

    def check(value: Any) -> Any:
        if isinstance(value, kind) and not isinstance(value, bool) and value in values:
            return value
        listed = ", ".join(str(v) for v in values)
        raise spec_error(f"must be one of {noun}{listed} (found {show(value)})"
                         f"{did_you_mean(value, [str(v) for v in values])}")
    return Annotated[kind, BeforeValidator(check)]


def _check(rule: Callable[[str], bool], expectation: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if rule(value):
            return value
        raise spec_error(f"{expectation} (found {show(value)})")
    return check


def Checked(rule: Callable[[str], bool], expectation: str) -> Any:  # noqa: N802
    """A string that satisfies ``rule``; otherwise '<expectation> (found "…")'."""
    return Annotated[str, BeforeValidator(_need_str), AfterValidator(_check(rule, expectation))]


def Text(lo: int = 0, hi: int | None = None) -> Any:  # noqa: N802
    """A string of lo–hi characters."""
    def fits(value: str) -> bool:
        return len(value) >= lo and (hi is None or len(value) <= hi)
    span = f"{lo}–{hi}" if hi is not None else f"at least {lo}"
    return Checked(fits, f"must be {span} characters long")


def _name_ok(value: str) -> bool:
    return bool(NAME_RE.fullmatch(value))


def _cron_ok(value: str) -> bool:
    from dockyard.appspec.cron import cron_problem

    text = value.strip()
    return text in CRON_MACROS or (len(text.split()) == 5 and cron_problem(text) is None)


def _zone_ok(value: str) -> bool:
    from dockyard.appspec.cron import zone_ok

    return zone_ok(value)


Str = Annotated[str, BeforeValidator(_need_str)]
Bool = Annotated[bool, BeforeValidator(_need_bool)]
Port = IntRange(1, 65535)
Name = Checked(_name_ok, 'must be 2–32 characters: lowercase letters, digits and "-", starting '
               'with a letter and not ending with "-" (^[a-z][a-z0-9-]{0,30}[a-z0-9]$)')
EnvKey = Checked(lambda v: bool(ENV_KEY_RE.fullmatch(v)),
                 'must start with a letter or "_" and hold only letters, digits and "_" '
                 "(^[_A-Za-z][_A-Za-z0-9]*$)")
Duration = Checked(lambda v: bool(DURATION_RE.fullmatch(v)),
                   'must be a duration such as "30m", "90s" or "1h30m"')
Cron = Checked(_cron_ok, 'must be a cron expression with 5 fields (minute hour day month '
               'weekday, each in range), such as "0 3 * * *"')
TimeZone = Checked(_zone_ok, 'must be a tz-database time zone, such as "Asia/Kolkata" or '
                   '"UTC"')
HttpsUrl = Checked(lambda v: v.startswith("https://"), 'must start with "https://"')
DomainName = Checked(lambda v: 4 <= len(v) <= 253 and any(r.fullmatch(v) for r in DOMAIN_RES),
                     "must be a hostname of 4–253 characters, such as app.example.com")
GitHubRepo = Checked(lambda v: bool(GITHUB_REPO_RE.fullmatch(v)), 'must be "owner/repo"')
NestedRepo = Checked(lambda v: bool(NESTED_REPO_RE.fullmatch(v)),
                     'must be "owner/repo" or "group/subgroup/repo"')
LogDestinationName = Checked(lambda v: bool(LOG_DESTINATION_RE.fullmatch(v)),
                             "must be 2–42 characters: letters, digits, spaces and -_./()[]'\"")


def _explained(problem: Callable[[str], str | None]) -> Callable[[str], str]:
    """A check whose ``problem(value)`` words what is wrong (None: nothing)."""
    def check(value: str) -> str:
        found = problem(value)
        if found:
            raise spec_error(f"{found} (found {show(value)})")
        return value
    return check


def _dot_segments(parts: Iterable[str]) -> bool:
    return any(part in (".", "..") for part in parts)


def route_path_problem(value: str) -> str | None:
    """A URL path the router can match and rewrite: no spaces, quotes, ``;`` or ``..``."""
    if not value.startswith("/"):
        return 'must start with "/"'
    if len(value) > 256:
        return "must be at most 256 characters long"
    if not ROUTE_PATH_RE.fullmatch(value):
        bad = next((c for c in value if not (c.isascii() and (c.isalnum() or c in ROUTE_CHARS
                                                               or c == "%"))), "%")
        return (f"must not contain {show(bad)}: a route path holds letters, digits, %XX "
                f"escapes and {ROUTE_CHARS}")
    if _dot_segments(unquote(value).split("/")):
        return 'must not have a "." or ".." segment'
    return None


def _inside_problem(value: str) -> str | None:
    if CONTROL_RE.search(value):
        return "must not contain control characters such as a newline"
    if _dot_segments(value.replace("\\", "/").split("/")):
        return 'must stay inside the repository: no ".." segments'
    return None


def _document_problem(value: str) -> str | None:
    doc = value.lstrip("/")
    if not DOCUMENT_RE.fullmatch(doc) or _dot_segments(doc.split("/")):
        return ('must be a file inside the site such as "index.html": letters, digits and '
                '._~+-, "/" between folders, no "." or ".." segments')
    return None


def _branch_problem(value: str) -> str | None:
    if CONTROL_RE.search(value) or " " in value.strip() or value.startswith("-"):
        return ('must be a git branch name such as "main" (no spaces or control characters, '
                'not starting with "-")')
    return None


def _clone_url_problem(value: str) -> str | None:
    if not 1 <= len(value) <= 255:
        return "must be 1–255 characters long"
    if CONTROL_RE.search(value) or value.strip().startswith("-"):
        return 'must be a URL git can clone (no control characters, not starting with "-")'
    return None


def _http_path_problem(value: str) -> str | None:
    if CONTROL_RE.search(value) or " " in value:
        return "must be a URL path without spaces or control characters, such as /healthz"
    return None


def Explained(problem: Callable[[str], str | None]) -> Any:  # noqa: N802 (a type)
    """A string that ``problem`` finds nothing wrong with."""
    return Annotated[str, BeforeValidator(_need_str), AfterValidator(_explained(problem))]


RoutePath = Explained(route_path_problem)
InsidePath = Explained(_inside_problem)
Document = Explained(_document_problem)
Branch = Explained(_branch_problem)
CloneUrl = Explained(_clone_url_problem)
HttpPath = Explained(_http_path_problem)
