"""Look at a branch head without a checkout: what ``apps propose`` needs to run the
buildpacks' detection before anything is built.

A throw-away bare repository fetches only the branch's newest commit, without file contents
(``--depth 1 --filter=blob:none``); listing a folder reads trees only, and the few manifests
detection reads (package.json, go.mod …) are fetched one by one when asked for. Servers that
do not support filters send the commit's blobs instead; nothing else changes.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dockyard.errors import CommandFailed, DockyardError
from dockyard.paths import inside
from dockyard.proc import capture
from dockyard.source.git import SourceRef, git_env

READ_LIMIT = 1 << 20
# A stalled server gives up after 20 s below 1 KB/s instead of holding up a propose.
SLOW = ["-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=20"]


@dataclass(frozen=True)
class TreeFiles:
    """``SourceFiles`` (buildpacks) of one folder of one commit in a bare repository."""

    git_dir: Path
    commit: str
    folder: str  # "" for the repository root

    def _spec(self, rel: str = "") -> str:
        path = "/".join(p for p in (self.folder, rel) if p)
        return f"{self.commit}:{path}"

    def names(self) -> frozenset[str]:
        try:
            out = capture(["git", "--git-dir", str(self.git_dir), "ls-tree", "-z",
                           self._spec()], env=git_env())
        except CommandFailed:
            return frozenset()
        names = set()
        for entry in out.split("\0"):
            if "\t" in entry:
                meta, name = entry.split("\t", 1)
                names.add(name + ("/" if meta.split()[1] in ("tree", "commit") else ""))
        return frozenset(names)

    def read(self, rel: str) -> str | None:
        try:
            size = int(capture(["git", "--git-dir", str(self.git_dir), "cat-file", "-s",
                                self._spec(rel)], env=git_env()))
            if size > READ_LIMIT:
                return None
            return capture(["git", "--git-dir", str(self.git_dir), "cat-file", "blob",
                            self._spec(rel)], env=git_env())
        except (CommandFailed, ValueError):
            return None


class Peek:
    """One temporary repository per check; ``files(ref, source_dir)`` per component.

    Use as a context manager: the repository is removed on exit.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="dockyard-peek-"))
        self._heads: dict[tuple[str, str], tuple[Path, str]] = {}

    def __enter__(self) -> Peek:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def files(self, ref: SourceRef, source_dir: str | None) -> TreeFiles:
        """The component's source_dir at the branch head; ``DockyardError`` when the repository
        cannot be reached or the folder does not exist there."""
        git_dir, commit = self._head(ref)
        rel = inside(source_dir or "")
        if rel is None:
            raise DockyardError(f"source_dir {source_dir!r} escapes the repository",
                                code="source.dir_escapes")
        folder = str(rel) if rel != PurePosixPath() else ""
        files = TreeFiles(git_dir, commit, folder)
        if folder and not files.names():
            top = sorted(n for n in TreeFiles(git_dir, commit, "").names() if n.endswith("/"))
            raise DockyardError(
                f"source_dir '{source_dir}' does not exist in {ref.label} at {commit[:7]}; "
                f"folders at the root: {', '.join(top) or '(none)'}", code="source.dir_missing")
        return files

    def _head(self, ref: SourceRef) -> tuple[Path, str]:
        key = (ref.url, ref.branch)
        if key not in self._heads:
            self._heads[key] = self._fetch(ref)
        return self._heads[key]

    def _fetch(self, ref: SourceRef) -> tuple[Path, str]:
        git_dir = Path(tempfile.mkdtemp(prefix="repo-", dir=self.root))
        git = ["git", "--git-dir", str(git_dir)]
        try:
            capture(["git", "init", "-q", "--bare", str(git_dir)], env=git_env())
            capture([*git, "remote", "add", "origin", ref.url], env=git_env())
            branch = self._branch(ref)
            capture([*git, *SLOW, "fetch", "-q", "--depth", "1",
                     "--filter=blob:none", "--no-tags", "origin",
                     f"+refs/heads/{branch}:refs/heads/{branch}"], env=git_env())
            commit = capture([*git, "rev-parse", f"refs/heads/{branch}^{{commit}}"],
                             env=git_env()).strip()
        except CommandFailed as exc:
            raise DockyardError(f"could not look into {ref.label} (branch {ref.branch}): "
                                f"{exc.message}", code="source.fetch_failed") from None
        return git_dir, commit

    def _branch(self, ref: SourceRef) -> str:
        """The spec's branch; when the spec left it unset and there is no ``main``, the
        remote's default branch (as ``fetch`` does)."""
        out = capture(["git", *SLOW, "ls-remote", "--symref", ref.url, "HEAD",
                       f"refs/heads/{ref.branch}"], env=git_env())
        heads = {line.split()[1] for line in out.splitlines() if "\t" in line
                 and not line.startswith("ref:")}
        if f"refs/heads/{ref.branch}" in heads or ref.branch_explicit:
            return ref.branch
        for line in out.splitlines():
            if line.startswith("ref: refs/heads/"):
                return line.split()[1].removeprefix("refs/heads/")
        return ref.branch
