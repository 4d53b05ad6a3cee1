"""git submodules, exported with the commit as DigitalOcean clones them (``--recursive``).

The commit's tree records each submodule as a gitlink (mode 160000: a path and a commit);
``.gitmodules`` in that same commit gives its URL. Each submodule URL gets a bare mirror of
its own next to the app's (fetched incrementally, like the app's), and the recorded commit is
exported into the gitlink's folder; submodules of submodules follow, up to ``MAX_DEPTH``.
Relative URLs (``../lib.git``) resolve against the superproject's URL, as git does.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dockyard.errors import CommandFailed, DockyardError
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.proc import capture
from dockyard.source.git import SourceRef, export_tree, fetch_all, git_env, mirror_path

MAX_DEPTH = 5


def gitlinks(mirror: Path, commit: str) -> list[tuple[str, str]]:
    """``(path, commit)`` of every submodule recorded in ``commit``'s tree."""
    out = capture(["git", "--git-dir", str(mirror), "ls-tree", "-r", "-z", commit],
                  env=git_env())
    links = []
    for entry in out.split("\0"):
        if "\t" not in entry:
            continue
        meta, path = entry.split("\t", 1)
        mode, kind, sha = meta.split()
        if mode == "160000" and kind == "commit":
            links.append((path, sha))
    return links


def declared_urls(mirror: Path, commit: str) -> dict[str, str]:
    """``path -> url`` from the commit's ``.gitmodules`` (empty when it has none)."""
    try:
        out = capture(["git", "--git-dir", str(mirror), "config", "--blob",
                       f"{commit}:.gitmodules", "--get-regexp", r"^submodule\..*\.(path|url)$"],
                      env=git_env())
    except CommandFailed:
        return {}
    paths: dict[str, str] = {}
    urls: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        name, field = key[len("submodule."):].rsplit(".", 1)
        (paths if field == "path" else urls)[name] = value.strip()
    return {paths[n]: urls[n] for n in paths if n in urls}


def resolve_url(url: str, parent: str) -> str:
    """A ``./`` or ``../`` URL relative to the superproject's URL; others as written."""
    if not url.startswith(("./", "../")):
        return url
    parts = urlsplit(parent)
    if parts.scheme:
        path = posixpath.normpath(posixpath.join(parts.path.rstrip("/"), url))
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return posixpath.normpath(posixpath.join(parent.rstrip("/"), url))


def export(home: Home, app_id: str, ref: SourceRef, commit: str, dest: Path, log: Log,
           depth: int = 0) -> int:
    """Export every submodule of ``commit`` (already exported into ``dest``); return how
    many were exported, nested ones included."""
    mirror = mirror_path(home, app_id, ref)
    links = gitlinks(mirror, commit)
    if not links:
        return 0
    if depth >= MAX_DEPTH:
        raise DockyardError(f"submodules nested more than {MAX_DEPTH} levels deep in "
                            f"{ref.label}", code="source.submodules_too_deep")
    urls = declared_urls(mirror, commit)
    count = 0
    for path, sha in links:
        if path not in urls:
            raise DockyardError(
                f"{ref.label} at {commit[:7]} records a submodule at '{path}' but .gitmodules "
                "has no URL for it", code="source.submodule_unknown",
                hint="Run `git submodule add <url> <path>` (or fix .gitmodules) and commit.")
        sub = SourceRef(resolve_url(urls[path], ref.url), label=f"submodule {path} "
                        f"({urls[path]})")
        log.step(f"Fetching {sub.label} at {sha[:7]}")
        fetch_all(home, app_id, sub, log, want=sha)
        export_tree(mirror_path(home, app_id, sub), sha, dest / path)
        count += 1 + export(home, app_id, sub, sha, dest / path, log, depth + 1)
    return count
