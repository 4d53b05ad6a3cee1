"""What ``dockyard status`` and ``apps get`` say about isolation: what this machine allows
(``Isolation.detect``) and what each component of an app runs as, sees and is limited to."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

from dockyard.appspec.sizes import GIB
from dockyard.isolation import SBIN, Isolation, describe_app
from dockyard.isolation.users import user_name

ON = Isolation(True, True, "each app as its own user in a bubblewrap sandbox", "cgroup v1")


def tools(tmp_path: Path, *names: str) -> str:
    """A PATH holding executables with these names."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(stat.S_IRWXU)
    return str(folder)


def cgroup_v1(tmp_path: Path) -> Path:
    root = tmp_path / "cgroup"
    for controller in ("memory", "cpu", "cpuacct", "pids"):
        (root / controller).mkdir(parents=True)
    return root


def test_off_in_config_turns_both_off_and_says_where():
    found = Isolation.detect("off")
    assert not found.sandbox and not found.limits
    assert found.describe() == {"sandbox": False, "sandbox_detail": "isolation is off in "
                                "config.json", "limits": False,
                                "limits_detail": "isolation is off in config.json"}


def test_as_root_with_the_tools_and_a_cgroup_tree_everything_is_on(tmp_path: Path):
    found = Isolation.detect(euid=0, path=tools(tmp_path, "bwrap", "setpriv", "useradd"),
                             cgroup_root=cgroup_v1(tmp_path))
    assert found == ON


def test_missing_tools_are_named_with_the_package_to_install(tmp_path: Path):
    found = Isolation.detect(euid=0, path=tools(tmp_path, "setpriv"),
                             cgroup_root=cgroup_v1(tmp_path))
    assert not found.sandbox and found.limits
    assert found.sandbox_reason == "missing bwrap, useradd (install bubblewrap)"


def test_not_root_means_no_sandbox_and_no_limits_and_both_say_why(tmp_path: Path):
    found = Isolation.detect(euid=1000, path=tools(tmp_path, "bwrap", "setpriv", "useradd"),
                             cgroup_root=cgroup_v1(tmp_path))
    assert (found.sandbox, found.limits) == (False, False)
    assert "does not run as root" in found.sandbox_reason
    assert "does not run as root" in found.limits_reason   # not "cgroup v1": limits are off


def test_no_cgroup_hierarchy_leaves_the_sandbox_on(tmp_path: Path):
    found = Isolation.detect(euid=0, path=tools(tmp_path, "bwrap", "setpriv", "useradd"),
                             cgroup_root=tmp_path / "nothing")
    assert found.sandbox and not found.limits
    assert "limits are off" in found.limits_reason


def test_this_machine_is_described_consistently():
    found = Isolation.detect()
    if found.sandbox:  # only as root, with bwrap somewhere on the system PATH
        assert os.geteuid() == 0
        assert any(os.path.exists(f"{d}/bwrap") for d in SBIN.split(":"))
    else:
        assert found.sandbox_reason.startswith(("Dockyard does not run", "missing"))


SPEC = {"name": "shop",
        "services": [{"name": "web", "instance_size_slug": "apps-d-2vcpu-4gb"},
                     {"name": "api"}],
        "workers": [{"name": "queue", "instance_size_slug": "basic-xs"}],
        "jobs": [{"name": "migrate", "instance_size_slug": "no-such-size"}],
        "static_sites": [{"name": "docs"}]}


def test_an_app_without_a_user_yet_is_described_by_its_future_name():
    app_id = str(uuid.uuid4())
    out = describe_app(app_id, SPEC, ON)
    assert (out["user"], out["uid"]) == (user_name(app_id), None)
    assert out["sandbox"] is True and out["sandbox_detail"] == ON.sandbox_reason


def test_each_component_gets_the_limits_of_its_size_or_the_default():
    out = describe_app(str(uuid.uuid4()), SPEC, ON)
    limits = out["component_limits"]
    assert out["limits"] is True and isinstance(limits, dict)
    assert set(limits) == {"web", "api", "queue"}    # no limits for an unknown size or a site
    assert limits["web"] == {"instance_size_slug": "apps-d-2vcpu-4gb",
                             "memory_bytes": 4 * GIB, "cpus": 2.0, "pids": 2048}
    assert limits["api"]["instance_size_slug"] == "apps-s-1vcpu-0.5gb"
    assert limits["api"]["memory_bytes"] == GIB // 2
    assert limits["queue"]["memory_bytes"] == GIB


def test_what_a_sandboxed_app_sees_and_cannot_see_is_spelled_out():
    out = describe_app(str(uuid.uuid4()), SPEC, ON)
    sees = out["sees"]
    assert isinstance(sees, dict) and "read-only" in sees["/workspace"]
    assert sees["/home/app"] == "a private HOME"
    assert any("DOCKYARD_HOME" in item for item in out["cannot_see"])  # type: ignore[union-attr]


def test_without_limits_none_are_listed_and_without_a_sandbox_nothing_is_promised():
    no_limits = describe_app(str(uuid.uuid4()), SPEC, Isolation(True, False, "x", "no cgroups"))
    assert no_limits["limits"] is False and no_limits["component_limits"] == {}
    out = describe_app(str(uuid.uuid4()), SPEC, Isolation.detect("off"))
    assert "sees" not in out and out["sandbox"] is False and out["limits"] is False


def test_limits_without_a_sandbox_are_still_listed_per_component():
    # root with cgroups but no bwrap: the launcher still applies each size's limits
    out = describe_app(str(uuid.uuid4()), SPEC, Isolation(False, True, "missing bwrap",
                                                          "cgroup v2"))
    assert out["limits"] is True and "sees" not in out
    assert set(out["component_limits"]) == {"web", "api", "queue"}  # type: ignore[arg-type]
