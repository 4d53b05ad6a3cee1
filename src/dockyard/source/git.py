"""Fetch an app's git source into one bare mirror per app and URL.

We call the *system* ``git`` with the user's environment (HOME, GIT_CONFIG_GLOBAL, ssh agent),
so their credential helpers, ssh keys and ``url.<base>.insteadOf`` rules apply exactly as they
do for ``git clone`` in a terminal. Nothing here prompts: ``GIT_TERMINAL_PROMPT=0``.

Branch rule: an explicit ``branch`` must exist. When the spec leaves it unset we use ``main``
(what DigitalOcean's UI pre-fills); if the remote has no ``main`` we follow the remote's HEAD
(its default branch, e.g. ``master``) and say so in the log.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from dockyard.errors import CommandFailed, DockyardError
from dockyard.locks import file_lock
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.proc import base_env, capture, run

DEFAULT_BRANCH = "main"
HOSTED = {
    "github": ("https://github.com/{}.git", re.compile(r"^[^/\s]+/[^/\s]+$")),
    "gitlab": ("https://gitlab.com/{}.git", re.compile(r"^[^/\s]+(/[^/\s]+)+$")),
    "bitbucket": ("https://bitbucket.org/{}.git", re.compile(r"^[^/\s]+(/[^/\s]+)+$")),
}
REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")


@dataclass(frozen=True)
class SourceRef:
    """Where a component's code comes from: what git clones, which branch, how we name it."""

    url: str
    branch: str = DEFAULT_BRANCH
    label: str = ""
    branch_explicit: bool = True  # False: spec left it unset, so remote HEAD may stand in for main


def source_ref(kind: str, fields: Mapping[str, object]) -> SourceRef:
    """Map a spec source object (``github: {repo, branch}`` …) to a ``SourceRef``."""
    raw_branch = str(fields.get("branch") or "").strip()
    branch = raw_branch or DEFAULT_BRANCH
    explicit = bool(raw_branch)
    if kind in HOSTED:
        template, pattern = HOSTED[kind]
        repo = str(fields.get("repo") or "").strip().removesuffix(".git")
        if not pattern.match(repo):
            raise DockyardError(
                f"{kind}.repo: expected 'owner/repo'"
                f"{' (subgroups allowed)' if kind != 'github' else ''}, found {repo!r}",
                code="source.repo_invalid", hint=f"Set {kind}.repo to e.g. 'acme/website'.")
        return SourceRef(template.format(repo), branch, f"{kind}/{repo}", explicit)
    if kind == "git":
        url = str(fields.get("repo_clone_url") or "").strip()
        if not url:
            raise DockyardError("git.repo_clone_url is missing or empty",
                                code="source.repo_invalid",
                                hint="Set git.repo_clone_url to a URL git can clone "
                                     "(https://…, ssh://…, file://… or a local path).")
        url = _absolute_local(url)
        return SourceRef(url, branch, f"git {_strip_credentials(url)}", explicit)
    raise DockyardError(
        f"source kind {kind!r} cannot be fetched with git; expected one of git, github, "
        "gitlab, bitbucket", code="source.kind_unsupported")


def mirror_path(home: Home, app_id: str, ref: SourceRef) -> Path:
    """One bare repository per app and URL: ``<repo>/<name>-<sha256(url)[:12]>.git``."""
    digest = hashlib.sha256(ref.url.encode()).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", ref.url.rstrip("/").rsplit("/", 1)[-1])
    name = name.removesuffix(".git")[:40] or "repo"
    return home.repo(app_id) / f"{name}-{digest}.git"


def fetch(home: Home, app_id: str, ref: SourceRef, log: Log) -> str:
    """Bring the app's mirror up to date and return the full sha at the head of the branch."""
    mirror = mirror_path(home, app_id, ref)
    _mask_credentials(ref.url, log)
    mirror.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(mirror.with_name(mirror.name + ".lock")):
        if (mirror / "HEAD").is_file():
            log.step(f"Fetching {ref.label}")
            _git(["fetch", "--prune", "origin"], mirror, log, ref)
        else:
            log.step(f"Cloning {ref.label}")
            _clone(ref, mirror, log)
        branch = _pick_branch(mirror, ref, log)
        sha = capture(["git", "--git-dir", str(mirror), "rev-parse", "--verify",
                       f"refs/heads/{branch}^{{commit}}"], env=git_env()).strip()
    log.step(f"{ref.label} {branch} is at {sha[:7]}")
    return sha


def fetch_all(home: Home, app_id: str, ref: SourceRef, log: Log, want: str) -> None:
    """Bring the mirror of ``ref`` up to date until it has commit ``want`` (submodules: the
    recorded commit need not be a branch head, so it is asked for by name if missing)."""
    mirror = mirror_path(home, app_id, ref)
    _mask_credentials(ref.url, log)
    mirror.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(mirror.with_name(mirror.name + ".lock")):
        if (mirror / "HEAD").is_file():
            if has_commit(mirror, want):
                return
            _git(["fetch", "--prune", "origin"], mirror, log, ref)
        else:
            _clone(ref, mirror, log)
        if not has_commit(mirror, want):
            _git(["fetch", "origin", want], mirror, log, ref)
    if not has_commit(mirror, want):
        raise DockyardError(f"{ref.label}: commit {want[:12]} is not in the repository",
                            code="source.commit_missing",
                            hint="Push the submodule's commit, or update the submodule.")


def has_commit(mirror: Path, sha: str) -> bool:
    try:
        capture(["git", "--git-dir", str(mirror), "cat-file", "-e", f"{sha}^{{commit}}"],
                env=git_env())
        return True
    except CommandFailed:
        return False


def export_tree(mirror: Path, commit: str, dest: Path) -> None:
    """Write the files of ``commit`` into ``dest`` (no ``.git``), through a throw-away index
    so the mirror is never touched and ``export-ignore`` drops nothing."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dockyard-index-") as tmp:
        env = git_env({"GIT_INDEX_FILE": str(Path(tmp) / "index")})
        git = ["git", "--git-dir", str(mirror), "--work-tree", str(dest)]
        capture([*git, "read-tree", commit], cwd=dest, env=env)
        capture([*git, "checkout-index", "--all", "--force"], cwd=dest, env=env)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The user's git setup (config, ssh agent) and never an interactive prompt."""
    env = base_env()
    for key in ("SSH_AUTH_SOCK", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_CONFIG_SYSTEM",
                "GIT_CONFIG_NOSYSTEM"):
        if key in os.environ:
            env[key] = os.environ[key]
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.update(extra or {})
    return env


def branches(mirror: Path) -> list[str]:
    out = capture(["git", "--git-dir", str(mirror), "for-each-ref",
                   "--format=%(refname:short)", "refs/heads"], env=git_env())
    return sorted(line.strip() for line in out.splitlines() if line.strip())


def _clone(ref: SourceRef, mirror: Path, log: Log) -> None:
    """Clone into a temp dir next to the mirror, then rename: a failed clone leaves nothing."""
    tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=mirror.parent))
    try:
        _git(["clone", "--bare", "--no-tags", ref.url, str(tmp)], None, log, ref)
        for i, spec in enumerate(REFSPECS):
            _git(["config", "--add" if i else "--replace-all", "remote.origin.fetch", spec],
                 tmp, log, ref)
        _git(["fetch", "--prune", "origin"], tmp, log, ref)
        os.rename(tmp, mirror)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _pick_branch(mirror: Path, ref: SourceRef, log: Log) -> str:
    existing = branches(mirror)
    if ref.branch in existing:
        return ref.branch
    if not existing:
        raise DockyardError(
            f"{ref.label} has no branches (the repository is empty)",
            code="source.branch_missing", hint="Push a commit to the repository, then deploy.")
    if not ref.branch_explicit:
        head = _remote_head(mirror)
        if head in existing:
            log.step(f"No branch set and {ref.label} has no '{ref.branch}': "
                     f"using its default branch '{head}'")
            return head
    raise DockyardError(
        f"branch '{ref.branch}' does not exist in {ref.label}; branches that exist: "
        f"{', '.join(existing)}", code="source.branch_missing",
        hint="Set `branch:` in the component's source to one of them.")


def _remote_head(mirror: Path) -> str:
    """The remote's default branch (asked live: a mirror's own HEAD is frozen at clone time)."""
    try:
        out = capture(["git", "--git-dir", str(mirror), "ls-remote", "--symref", "origin",
                       "HEAD"], env=git_env())
    except CommandFailed:
        out = ""
    for line in out.splitlines():
        if line.startswith("ref: refs/heads/"):
            return line.split()[1].removeprefix("refs/heads/")
    try:  # offline: fall back to the HEAD recorded when the mirror was cloned
        local = capture(["git", "--git-dir", str(mirror), "symbolic-ref", "-q", "HEAD"],
                        env=git_env())
    except CommandFailed:
        local = ""
    return local.strip().removeprefix("refs/heads/")


def _git(args: list[str], git_dir: Path | None, log: Log, ref: SourceRef) -> None:
    """Run git; a failure becomes a fresh error raised outside ``except`` (no traceback
    into ``proc.run``, so the child's pipe is released at once)."""
    argv = ["git", *(["--git-dir", str(git_dir)] if git_dir else []), *args]
    failure: CommandFailed | None = None
    try:
        run(argv, log=log, env=git_env(), code="source.fetch_failed", what="git " + args[0])
        return
    except CommandFailed as exc:
        failure = CommandFailed(
            f"could not {args[0]} {ref.label} (branch {ref.branch}): git {args[0]} exited "
            f"with status {exc.returncode}", code="source.fetch_failed",
            returncode=exc.returncode, tail=list(exc.tail),
            hint="Check that the repository exists and that this machine can reach it: try "
                 "`git ls-remote <url>` as the user running Dockyard (that user's credential "
                 "helpers, ssh keys and url.<base>.insteadOf rules apply).")
    raise failure



def _absolute_local(url: str) -> str:
    """Local paths are keyed by their absolute form so one repo gets one mirror."""
    if "://" in url or re.match(r"^[\w.-]+@[\w.-]+:", url):
        return url
    path = Path(url).expanduser()
    return str(path.resolve()) if path.exists() else url


def _strip_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None and "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _mask_credentials(url: str, log: Log) -> None:
    parts = urlsplit(url)
    if parts.password:
        log.add_secrets([parts.password])


def remote_head(ref: SourceRef, timeout: float = 30) -> str | None:
    """The commit the remote branch points at now (``git ls-remote``), or None if unknown."""
    import subprocess

    try:
        res = subprocess.run(["git", "ls-remote", "--heads", ref.url, f"refs/heads/{ref.branch}"],
                             capture_output=True, text=True, env=git_env(), timeout=timeout,
                             stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    if res.returncode != 0 or not res.stdout.strip():
        return None
    return res.stdout.split()[0]
