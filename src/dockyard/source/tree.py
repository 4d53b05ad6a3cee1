"""Export one commit of a mirror into a plain directory and find the component's source_dir.

The export has no ``.git`` (a release is files, not a repository). We use ``read-tree`` +
``checkout-index`` with a throw-away index instead of ``git archive`` so that
``export-ignore`` attributes don't silently drop files the app needs, and the mirror's own
index is never touched (two deployments can export from one mirror at once).
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path, PurePosixPath

from dockyard.errors import CommandFailed, DockyardError
from dockyard.logs import Log, null_log
from dockyard.paths import Home, inside
from dockyard.proc import capture
from dockyard.source import submodules
from dockyard.source.git import SourceRef, export_tree, git_env, mirror_path


def checkout(home: Home, app_id: str, ref: SourceRef, commit: str, dest: Path,
             source_dir: str | None, log: Log | None = None) -> Path:
    """Write the tree at ``commit`` (and its submodules) into ``dest`` and return the
    resolved ``source_dir``."""
    mirror = mirror_path(home, app_id, ref)
    where = f"{ref.label} at {commit[:7]}"
    _require_commit(mirror, commit, where, ref)
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise DockyardError(f"checkout destination {dest} is not empty",
                            code="source.dest_not_empty",
                            hint="Export each deployment into a new, empty directory.")
    try:
        export_tree(mirror, commit, dest)
        count = submodules.export(home, app_id, ref, commit, dest, log or null_log())
        if count and log is not None:
            log.step(f"Exported {count} submodule(s) with {ref.label}")
        return resolve_source_dir(dest, source_dir, where)
    except DockyardError:
        shutil.rmtree(dest, ignore_errors=True)  # leave no half-prepared release behind
        raise


def resolve_source_dir(root: Path, source_dir: str | None, where: str) -> Path:
    """``source_dir`` relative to the repo root: "/" and leading slashes allowed, no escaping."""
    rel = _normalise(source_dir or "", where)
    target = root.joinpath(*rel.parts)
    root_real = root.resolve()
    if not target.resolve().is_relative_to(root_real):
        raise DockyardError(
            f"source_dir {source_dir!r} points outside the repository {where} "
            "(through a symlink)", code="source.dir_escapes",
            hint="Point source_dir at a real directory inside the repository.")
    if target.is_dir():
        return target
    raise _missing(root, rel, source_dir or "", where)


def _normalise(source_dir: str, where: str) -> PurePosixPath:
    rel = inside(source_dir)
    if rel is None:
        raise DockyardError(
            f"source_dir {source_dir!r} escapes the repository root of {where}",
            code="source.dir_escapes",
            hint="source_dir is relative to the repository root; remove the '..'.")
    return rel


def _missing(root: Path, rel: PurePosixPath, source_dir: str, where: str) -> DockyardError:
    """Name the deepest level that exists and list its directories (with a close match)."""
    level = PurePosixPath()
    for part in rel.parts:
        if not root.joinpath(*level.parts, part).is_dir():
            break
        level = level / part
    here = root.joinpath(*level.parts)
    dirs = sorted(p.name for p in here.iterdir() if p.is_dir() and p.name != ".git")
    label = f"'{level}'" if level.parts else "the repository root"
    what = "is not a directory" if root.joinpath(*rel.parts).exists() else "does not exist"
    msg = (f"source_dir '{source_dir}' {what} in {where}; directories in {label}: "
           f"{', '.join(dirs) if dirs else '(none)'}")
    wanted = rel.parts[len(level.parts)] if len(rel.parts) > len(level.parts) else ""
    close = difflib.get_close_matches(wanted, dirs, n=1) if wanted else []
    hint = (f"Did you mean '{level / close[0]}'?" if close
            else "Set source_dir to one of the directories listed.")
    return DockyardError(msg, code="source.dir_missing", hint=hint)


def _require_commit(mirror: Path, commit: str, where: str, ref: SourceRef) -> None:
    if not (mirror / "HEAD").is_file():
        raise DockyardError(f"no mirror of {ref.label} at {mirror}", code="source.not_fetched",
                            hint="Call fetch() for this app and source before checkout().")
    try:
        capture(["git", "--git-dir", str(mirror), "cat-file", "-e", f"{commit}^{{commit}}"],
                env=git_env())
    except CommandFailed as exc:
        raise DockyardError(f"commit {commit!r} is not in the mirror of {where}",
                            code="source.commit_missing",
                            hint="Fetch again; the commit may have been force-pushed away.") \
            from exc
