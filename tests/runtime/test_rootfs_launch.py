"""An instance whose release is an image's root: what the launcher executes."""

from __future__ import annotations

from pathlib import Path

from dockyard.runtime.local.launchfile import LaunchFile

USER = {"name": "dy-app", "uid": 200123, "gid": 200123}


def launch(tmp_path: Path, command: str, shell: str | None = "/bin/bash") -> LaunchFile:
    return LaunchFile(path=tmp_path / "launch.json", command=command, env={"PORT": "8000"},
                      release=str(tmp_path / "rootfs"), instance=str(tmp_path / "inst"),
                      user=USER, rootfs={"workdir": "/app", "shell": shell,
                                         "argv": ["python3", "server.py"]},
                      root="/run/dockyard-rootfs/root")


def test_the_image_s_entrypoint_and_cmd_run_as_they_are_in_its_own_root(tmp_path: Path) -> None:
    argv, env, fds = launch(tmp_path, "").command_line()
    assert argv[-3:] == ["--", "python3", "server.py"], "no shell around ENTRYPOINT + CMD"
    assert argv[argv.index("--bind") + 1:argv.index("--bind") + 3] == [
        "/run/dockyard-rootfs/root", "/"]
    assert argv[argv.index("--chdir") + 1] == "/app"
    assert argv[argv.index("--uid") + 1] == "200123" and "--disable-userns" in argv
    assert env == {"PORT": "8000"} and fds == ()


def test_run_command_goes_through_the_image_s_shell(tmp_path: Path) -> None:
    argv, _env, _fds = launch(tmp_path, "gunicorn app:app").command_line()
    assert argv[-4:-1] == ["--", "/bin/bash", "-c"]
    assert argv[-1].endswith("gunicorn app:app") and "trap" in argv[-1]
    argv, _env, _fds = launch(tmp_path, "exec ./serve", shell="/bin/sh").command_line()
    assert argv[-4:] == ["--", "/bin/sh", "-c", "exec ./serve"]
