"""An image's root filesystem in a release directory, without copying it for every release.

buildah (overlay driver) keeps each layer of an image unpacked in its storage
(``overlay/<layer>/diff``, the parent chain in ``overlay-layers/layers.json``). A release's
root is made from them in three steps:

1. the image's layers, bottom first;
2. each layer copied once into the app's layer cache (``layers/<layer>``), where its files
   belong to the app's user (as root owns a container's files, the app owns its image's),
   without device nodes, sockets or setuid bits; its whiteouts (deleted paths) and opaque
   directories are recorded beside it (``layers/<layer>.json``);
3. the release's ``rootfs``: the cached layers merged bottom first, every file a hard link
   into the cache, whiteouts applied. A commit that changes only the app's code adds one
   small layer; the rest is linked again (about 0.5 s for a Debian base of 11,000 files).

Nothing here follows a symlink of the image: directories are made and removed by ``lstat``,
so an image cannot make Dockyard write or delete outside the release.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from dockyard.errors import DockyardError

OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque")
WHITEOUT = ".wh."
OPAQUE_MARK = ".wh..wh..opq"


def image_layers(storage: Path, image_id: str) -> list[str]:
    """The storage's layer ids of an image, bottom first."""
    try:
        images = json.loads((storage / "overlay-images" / "images.json").read_text())
        layers = {entry["id"]: entry for entry in json.loads(
            (storage / "overlay-layers" / "layers.json").read_text())}
    except (OSError, ValueError) as exc:
        raise layout_error(storage, str(exc)) from None
    top = next((i.get("layer") for i in images if i["id"] == image_id), None)
    chain: list[str] = []
    while top:
        if top not in layers or not (storage / "overlay" / top / "diff").is_dir():
            raise layout_error(storage, f"layer {top[:12]} is missing")
        chain.append(top)
        top = layers[top].get("parent")
    return chain[::-1]


def layout_error(storage: Path, why: str) -> DockyardError:
    return DockyardError(f"buildah's storage at {storage} is not laid out as expected ({why})",
                         code="image.storage_layout",
                         hint="Dockyard reads the overlay driver's layers (Debian 12's buildah "
                              "1.28); remove that folder to start the image store afresh.")


def cached_layer(storage: Path, cache: Path, layer: str, owner: tuple[int, int] | None) -> Path:
    """The layer in the app's cache, copied from buildah's storage the first time."""
    target = cache / layer
    if target.is_dir() and (cache / f"{layer}.json").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{layer[:12]}-", dir=cache))
    try:
        source = storage / "overlay" / layer / "diff"
        subprocess.run(["cp", "-a", f"{source}/.", f"{tmp}/"], check=True,
                       capture_output=True)
        meta = clean_layer(tmp, owner)
        (cache / f"{layer}.json").write_text(json.dumps(meta))
        shutil.rmtree(target, ignore_errors=True)
        os.rename(tmp, target)
    except (OSError, subprocess.CalledProcessError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DockyardError(f"could not copy layer {layer[:12]} out of the image store: {exc}",
                            code="image.layer_copy_failed") from None
    return target


def clean_layer(root: Path, owner: tuple[int, int] | None) -> dict[str, list[str]]:
    """Record and remove whiteouts, drop device nodes and sockets, give every entry to
    ``owner`` (chown also clears setuid bits and file capabilities)."""
    meta: dict[str, list[str]] = {"whiteouts": [], "opaque": []}
    for base, dirs, files in os.walk(root):
        here = Path(base)
        rel = here.relative_to(root)
        if here != root and is_opaque(here):
            meta["opaque"].append(str(rel))
            for attr in OPAQUE_XATTRS:
                remove_xattr(here, attr)
        for name in files + [d for d in dirs if (here / d).is_symlink()]:
            if keep_entry(here / name, rel, meta) and owner:
                os.chown(here / name, *owner, follow_symlinks=False)
        if owner:
            os.chown(here, *owner)
    return meta


def keep_entry(path: Path, rel: Path, meta: dict[str, list[str]]) -> bool:
    """False (and the entry removed) for a whiteout, the opaque marker, a device or a
    socket; the first two are recorded in ``meta``."""
    info = path.lstat()
    name = path.name
    if name == OPAQUE_MARK:
        meta["opaque"].append(str(rel))
    elif name.startswith(WHITEOUT):
        meta["whiteouts"].append(str(rel / name[len(WHITEOUT):]))
    elif stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
        meta["whiteouts"].append(str(rel / name))
    elif not (stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
              or stat.S_ISSOCK(info.st_mode)):
        return True
    path.unlink()
    return False


def is_opaque(path: Path) -> bool:
    for attr in OPAQUE_XATTRS:
        try:
            if os.getxattr(path, attr, follow_symlinks=False) == b"y":
                return True
        except OSError:
            continue
    return False


def remove_xattr(path: Path, attr: str) -> None:
    try:
        os.removexattr(path, attr, follow_symlinks=False)
    except OSError:
        pass


def merge(layers: list[Path], dest: Path) -> None:
    """``dest`` (new) becomes the layers' union, bottom first; files are hard links."""
    for index, layer in enumerate(layers):
        if index == 0:  # the base, into a new folder in one go
            subprocess.run(["cp", "-al", str(layer), str(dest)], check=True,
                           capture_output=True)
            continue
        meta = json.loads(layer.with_name(f"{layer.name}.json").read_text())
        for rel in meta["opaque"]:
            folder = real_dir(dest, PurePosixPath(rel))
            for entry in list(folder.iterdir()):
                remove(entry)
        for rel in meta["whiteouts"]:
            path = PurePosixPath(rel)
            remove(real_dir(dest, path.parent) / path.name)
        link_tree(layer, dest)
    if not layers:
        dest.mkdir(parents=True)


def link_tree(layer: Path, dest: Path) -> None:
    for base, dirs, files in os.walk(layer):
        rel = PurePosixPath(Path(base).relative_to(layer))
        folder = real_dir(dest, rel, like=Path(base))
        for name in dirs:
            if (Path(base) / name).is_symlink():
                files.append(name)
        for name in files:
            target = folder / name
            remove(target)
            os.link(Path(base) / name, target, follow_symlinks=False)
        dirs[:] = [d for d in dirs if not (Path(base) / d).is_symlink()]


def real_dir(dest: Path, rel: PurePosixPath, like: Path | None = None) -> Path:
    """``dest/rel`` as a real directory: every part that is not one (a file, a symlink of
    the image) is replaced by one, never followed."""
    here = dest
    for part in rel.parts:
        if part in ("", "."):
            continue
        here = here / part
        if here.is_symlink() or (here.exists() and not here.is_dir()):
            here.unlink()
        if not here.exists():
            here.mkdir()
    if like is not None and rel.parts:
        info = like.lstat()
        os.chown(here, info.st_uid, info.st_gid)
        os.chmod(here, stat.S_IMODE(info.st_mode))
    return here


def remove(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def resolve_in(root: Path, path: str) -> Path | None:
    """``path`` inside the image's root, its symlinks resolved as the image sees them (an
    absolute link points into the image, not at the host); None when it does not exist."""
    parts = list(PurePosixPath("/", path).parts[1:])
    here = PurePosixPath("/")
    hops = 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        here = here.parent if part == ".." else here / part
        host = root / str(here).lstrip("/")
        if host.is_symlink():
            hops += 1
            if hops > 40:
                return None
            link = PurePosixPath(os.readlink(host))
            parts = list(link.parts[1:] if link.is_absolute() else link.parts) + parts
            here = PurePosixPath("/") if link.is_absolute() else here.parent
    host = root / str(here).lstrip("/")
    return host if host.exists() else None


def prune(cache: Path, keep: set[str]) -> list[str]:
    """Remove cached layers no kept release uses; the removed ids."""
    removed: list[str] = []
    if not cache.is_dir():
        return removed
    for entry in cache.iterdir():
        layer = entry.name.removesuffix(".json")
        if layer.startswith(".") or layer in keep:
            continue
        remove(entry)
        if entry.suffix != ".json":
            removed.append(layer)
    return removed
