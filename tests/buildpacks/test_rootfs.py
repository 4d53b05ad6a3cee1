"""An image's layers merged into a release's root: whiteouts, opaque folders, no escapes."""

from __future__ import annotations

import os
from pathlib import Path

from dockyard.buildpacks.rootfs import clean_layer, merge, resolve_in


def layer(root: Path, name: str, files: dict[str, str]) -> Path:
    """A layer as buildah unpacks it (``diff``), cleaned into the cache as rootfs.py does."""
    path = root / name
    for rel, text in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("->"):
            target.symlink_to(text[2:])
        else:
            target.write_text(text)
    (root / f"{name}.json").write_text(__import__("json").dumps(clean_layer(path, None)))
    return path


def test_upper_layers_win_and_their_whiteouts_delete(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    base = layer(cache, "base", {"etc/os-release": "debian\n", "app/old.py": "old\n",
                                 "app/keep.py": "keep\n", "var/log/x.log": "x\n",
                                 "bin/sh": "shell\n"})
    code = layer(cache, "code", {"app/.wh.old.py": "", "app/new.py": "new\n",
                                 "var/log/.wh..wh..opq": "", "var/log/y.log": "y\n",
                                 "etc/os-release": "debian 12\n"})
    root = tmp_path / "rootfs"
    merge([base, code], root)
    assert (root / "etc/os-release").read_text() == "debian 12\n"
    assert sorted(p.name for p in (root / "app").iterdir()) == ["keep.py", "new.py"]
    assert [p.name for p in (root / "var/log").iterdir()] == ["y.log"]
    assert os.stat(root / "bin/sh").st_ino == os.stat(base / "bin/sh").st_ino, "a hard link"
    assert not any(p.name.startswith(".wh.") for p in root.rglob("*"))


def test_a_symlinked_folder_in_the_image_is_never_followed_out_of_the_root(
        tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    cache = tmp_path / "cache"
    base = layer(cache, "base", {"app": f"->{outside}"})
    upper = layer(cache, "upper", {"app/planted.txt": "boom\n"})
    root = tmp_path / "rootfs"
    merge([base, upper], root)
    assert not (outside / "planted.txt").exists()
    assert (root / "app").is_dir() and not (root / "app").is_symlink()


def test_paths_resolve_as_the_image_sees_them(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/bash").write_text("bash\n")
    (root / "bin").symlink_to("/usr/bin")   # absolute: inside the image, not the host
    (root / "etc").mkdir()
    (root / "etc/passwd").symlink_to("/etc/shadow")
    assert resolve_in(root, "/bin/bash") == root / "usr/bin/bash"
    assert resolve_in(root, "/etc/passwd") is None, "the host's /etc/shadow is not the image's"
    assert resolve_in(root, "/../../bin/bash") == root / "usr/bin/bash"
