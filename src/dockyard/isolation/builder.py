"""The sandbox of a container build (a Dockerfile, an image pull): buildah as root, fenced in.

buildah needs root here (mounts, chroot, and a Dockerfile's ``RUN`` steps run as root in the
image, as Docker's do); it cannot run as the app's user under ``no_new_privs``. So the build
child runs as root inside a bubblewrap sandbox that sees only what the build needs: the
system's ``/usr`` and ``/sys`` read-only, a short list of ``/etc`` files (no ``shadow``, no SSH
or TLS keys), private ``/tmp``, ``/var/tmp`` and ``/run``, its own ``/proc`` and pid namespace,
the app's checkout and release, the app's own image store, and Dockyard's code. A ``RUN``
step runs in buildah's chroot with Docker's default capabilities; should it get out of the
chroot, it finds this sandbox, not Dockyard's state, keys or other apps.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from dockyard.isolation.sandbox import BWRAP, SYSTEM_LINKS, Mount, parents

# What of /etc a build may read: certificates, name resolution, users, the loader's cache,
# containers' own configuration.
ETC = ("containers", "ssl", "ca-certificates", "ca-certificates.conf", "resolv.conf",
       "hosts", "host.conf", "gai.conf", "nsswitch.conf", "passwd", "group", "localtime",
       "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "subuid", "subgid",
       "mime.types")


def builder_argv(mounts: Sequence[Mount], cwd: str, command: Sequence[str]) -> list[str]:
    """The command line that runs ``command`` as root in the build sandbox."""
    args = [BWRAP, "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--hostname", "dockyard-build", "--ro-bind", "/usr", "/usr",
            "--perms", "0755", "--dir", "/etc"]
    for name in ETC:
        if os.path.lexists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for target, link in SYSTEM_LINKS:
        args += ["--symlink", target, link]
    args += ["--proc", "/proc", "--dev", "/dev", "--ro-bind", "/sys", "/sys",
             "--tmpfs", "/run", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
    made = {"/", "/usr", "/etc", "/proc", "/dev", "/sys", "/run", "/tmp", "/var", "/var/tmp"}
    for mount in mounts:
        args += parents(mount.target, made)
        args += ["--bind" if mount.writable else "--ro-bind", mount.source, mount.target]
    # buildah mounts layers and chroots: it keeps root's capabilities in here
    return [*args, "--chdir", cwd, "--cap-add", "ALL", *command]
