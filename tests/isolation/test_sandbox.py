"""The sandbox's command line (pure) and, where bubblewrap can run, what a program inside it
sees: the system read-only, private /tmp, its own HOME and workspace, none of DOCKYARD_HOME,
and an environment that arrives through a memfd, never on a command line."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.isolation.sandbox import (
    BWRAP,
    MINIMAL_ENV,
    SETPRIV,
    Mount,
    Sandbox,
    confine,
    parents,
    script,
)
from dockyard.isolation.users import AppUser
from dockyard.runtime.local.launchfile import APP_HOME, WORKSPACE, LaunchFile

USER = AppUser("dky-0123456789ab", 200_123, 200_123)
ARITY = {"--ro-bind": 2, "--bind": 2, "--symlink": 2, "--proc": 1, "--dev": 1, "--tmpfs": 1,
         "--perms": 1, "--dir": 1, "--chdir": 1, "--hostname": 1}


def options(argv: list[str]) -> list[tuple[str, ...]]:
    """bwrap's options as tuples (``("--ro-bind", src, dst)``), up to ``setpriv``."""
    assert argv[0] == BWRAP
    out, i = [], 1
    while argv[i] != SETPRIV:
        n = ARITY.get(argv[i], 0)
        out.append(tuple(argv[i:i + 1 + n]))
        i += 1 + n
    return out


def binds(argv: list[str]) -> dict[str, tuple[str, str]]:
    """target → (kind, source) for every bind mount."""
    return {o[2]: (o[0], o[1]) for o in options(argv) if o[0] in ("--bind", "--ro-bind")}


def instance_launch(tmp_path: Path, **changes: object) -> LaunchFile:
    home = tmp_path / "home"
    inst = home / "instances" / "app-1" / "dep-1" / "web-0"
    fields: dict[str, object] = dict(
        path=inst / "launch.json", command="gunicorn app:app", env={"PORT": "8080"},
        release=str(home / "apps" / "app-1" / "releases" / "r1"), instance=str(inst),
        files="overlay", user={"name": USER.name, "uid": USER.uid, "gid": USER.gid},
        mounts=[["/opt/venvs/app-1", "/opt/venvs/app-1", False]])
    fields.update(changes)
    return LaunchFile(**fields)  # type: ignore[arg-type]


def test_the_app_runs_as_its_user_without_capabilities_after_the_mounts():
    argv = Sandbox(USER).argv(["python", "-V"])
    drop = argv[argv.index(SETPRIV):]
    assert drop == [SETPRIV, "--reuid=200123", "--regid=200123", "--clear-groups",
                    "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
                    "python", "-V"]
    assert ("--unshare-pid",) in options(argv) and ("--die-with-parent",) in options(argv)


def test_the_system_is_read_only_and_tmp_run_and_shm_are_private():
    opts = options(Sandbox(USER).argv(["true"]))
    assert ("--ro-bind", "/usr", "/usr") in opts and ("--ro-bind", "/etc", "/etc") in opts
    assert not [o for o in opts if o[0] == "--bind"]          # nothing writable by default
    for shared in ("/tmp", "/var/tmp", "/dev/shm"):
        at = opts.index(("--tmpfs", shared))
        assert opts[at - 1] == ("--perms", "1777"), shared   # sticky, like the host's
    assert ("--tmpfs", "/run") in opts and ("--proc", "/proc") in opts
    assert ("--symlink", "usr/bin", "/bin") in opts


def test_nothing_of_the_host_home_or_root_is_bound():
    opts = options(Sandbox(USER).argv(["true"]))
    sources = [o[1] for o in opts if o[0] in ("--bind", "--ro-bind")]
    assert sources == ["/usr", "/etc"]
    assert not any(s in ("/", "/root", "/home", "/var", "/sys") for s in sources)


def test_an_instance_sees_its_writable_view_at_workspace_and_a_private_home(tmp_path: Path):
    launch = instance_launch(tmp_path)
    sandbox = launch.sandbox()
    assert sandbox is not None and sandbox.user == USER
    argv = sandbox.argv(["bash"])
    mounted = binds(argv)
    assert mounted[WORKSPACE] == ("--bind", str(launch.dir / "merged"))   # the overlay
    assert mounted[APP_HOME] == ("--bind", str(launch.dir / "home"))
    assert mounted["/opt/venvs/app-1"] == ("--ro-bind", "/opt/venvs/app-1")
    assert ("--chdir", WORKSPACE) in options(argv)
    # the release itself (the lower layer a rollback reuses) is never bound writable
    assert launch.release not in [src for kind, src in mounted.values() if kind == "--bind"]


def test_an_instance_without_overlay_works_in_its_copy(tmp_path: Path):
    sandbox = instance_launch(tmp_path, files="copy").sandbox()
    assert sandbox is not None
    assert binds(sandbox.argv(["bash"]))[WORKSPACE][1].endswith("/web-0/app")


def test_a_launch_without_a_user_is_not_sandboxed(tmp_path: Path):
    launch = instance_launch(tmp_path, user=None, files="copy")
    assert launch.sandbox() is None
    argv, env, fds = launch.command_line()
    assert argv[:2] == ["bash", "-c"] and argv[2].endswith("gunicorn app:app")
    assert env == {"PORT": "8080"} and fds == ()
    assert launch.host_cwd == str(launch.dir / "app")


def test_a_console_gets_the_same_sandbox_as_an_instance(tmp_path: Path):
    service = instance_launch(tmp_path).sandbox()
    console = instance_launch(tmp_path, interactive=True, record_starts=False).sandbox()
    assert service is not None and console is not None
    assert console.argv(["bash"]) == service.argv(["bash"])


def test_a_build_writes_only_its_checkout_release_and_cache(tmp_path: Path):
    home = tmp_path / "home"
    app = home / "apps" / "app-1"
    own = [app / "builds" / "src", app / "releases" / "r1", app / "cache"]
    sandbox = Sandbox(USER, tuple(Mount(str(p), str(p), True) for p in own)
                      + (Mount("/opt/python", "/opt/python"),), cwd=str(own[0]), home="/tmp")
    argv = sandbox.argv(["python", "-m", "build"])
    writable = sorted(t for t, (kind, _) in binds(argv).items() if kind == "--bind")
    assert writable == sorted(str(p) for p in own)
    assert binds(argv)["/opt/python"] == ("--ro-bind", "/opt/python")
    made = [o[1] for o in options(argv) if o[0] == "--dir"]
    assert str(home) in made and str(app) in made       # empty folders on the way ...
    assert str(home) not in binds(argv)                  # ... never the home itself
    assert ("--chdir", str(own[0])) in options(argv)


def test_missing_parents_are_made_once_and_enterable():
    made = {"/"}
    assert parents("/srv/a/b", made) == ["--perms", "0755", "--dir", "/srv",
                                         "--perms", "0755", "--dir", "/srv/a"]
    assert parents("/srv/a/c", made) == []               # /srv and /srv/a exist now
    assert parents("/srv/a/b/d", made) == []             # /srv/a/b is a mount point already


def test_mounts_describe_themselves_for_users():
    assert Mount("/a", "/a").describe() == "/a (read-only)"
    assert Mount("/x/merged", "/workspace", True).describe() == \
        "/workspace ← /x/merged (read-write)"
    desc = Sandbox(USER, (Mount("/a", "/a"),)).describe()
    assert (desc["user"], desc["uid"], desc["cwd"], desc["home"]) == (
        USER.name, USER.uid, "/workspace", "/home/app")
    assert desc["mounts"] == ["/a (read-only)"]


def test_the_script_sets_the_environment_then_closes_its_fd_and_runs_the_command():
    text = script({"A": "1", "QUOTED": "it's $HOME"}, "echo hi", 7)
    lines = text.splitlines()
    assert lines[0] == "unset " + " ".join(MINIMAL_ENV)
    assert "export A=1" in lines and "export QUOTED='it'\"'\"'s $HOME'" in lines
    assert lines[-2:] == ["exec 7<&-", "exec bash -c 'echo hi'"]


def test_a_bad_variable_name_is_refused_by_name():
    with pytest.raises(ValueError, match="not an environment variable name: 'A B'"):
        script({"OK": "1", "A B": "x"}, "true", 3)
    with pytest.raises(ValueError, match="'1X'"):
        script({"1X": "x"}, "true", 3)


@pytest.fixture
def confined() -> Iterator[list[int]]:
    fds: list[int] = []
    yield fds
    for fd in fds:
        os.close(fd)


def test_secrets_never_reach_the_command_line(confined: list[int]):
    argv, env, fd = confine(Sandbox(USER), {"DATABASE_URL": "postgres://u:s3cr3t@h/db"},
                            "run-app")
    confined.append(fd)
    assert not any("s3cr3t" in a for a in argv) and "s3cr3t" not in str(env)
    assert env == MINIMAL_ENV
    assert argv[-3:] == ["/bin/bash", "-c", f'eval "$(cat <&{fd})"']
    assert os.readlink(f"/proc/self/fd/{fd}").startswith("/memfd:")
    assert "postgres://u:s3cr3t@h/db" in os.read(fd, 4096).decode()


can_sandbox = pytest.mark.skipif(os.geteuid() != 0 or not Path(BWRAP).exists()
                                 or not shutil.which("setpriv"),
                                 reason="bubblewrap needs root here")


@can_sandbox
def test_inside_the_sandbox_the_app_sees_only_what_it_was_given(tmp_path: Path,
                                                               confined: list[int]):
    home = tmp_path / "dockyard-home"
    (home / "secrets.key").parent.mkdir(parents=True)
    (home / "secrets.key").write_text("key")
    work = home / "apps" / "app-1" / "work"
    work.mkdir(parents=True)
    os.chown(work, 65534, 65534)
    nobody = AppUser("nobody", 65534, 65534)
    sandbox = Sandbox(nobody, (Mount(str(work), WORKSPACE, True),))
    odd = "a 'quoted' $value\non two lines"
    argv, env, fd = confine(sandbox, {"ODD": odd, "HOME": APP_HOME,
                                      "PATH": "/usr/bin:/bin"},
                            'printf "%s|" "$(id -u)" "$ODD" "$HOME" "$PWD"; '
                            f'ls -A {home} 2>&1 | tr "\\n" " "; echo x > out.txt')
    confined.append(fd)
    res = subprocess.run(argv, env=env, pass_fds=(fd,), capture_output=True, text=True,
                         timeout=30)
    assert res.returncode == 0, res.stderr
    uid, value, homedir, cwd, listing = res.stdout.split("|")
    assert (uid, value, homedir, cwd) == ("65534", odd, APP_HOME, WORKSPACE)
    assert "secrets.key" not in listing and "No such file" in listing
    assert (work / "out.txt").read_text() == "x\n"
