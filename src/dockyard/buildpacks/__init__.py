"""Build stage: turn a component's source_dir into an immutable release directory.

``build(req, log)`` (``registry``) picks a buildpack — by ``environment_slug``, else the first
of ``BUILDPACKS`` whose ``detect()`` gives a reason, else the explicit fallback — runs it and
writes ``release/release.json``. ``plan`` says the same before anything is built.

Exports load lazily (PEP 562, as ``dockyard.appspec`` does): ``buildpacks.plan`` and
``buildpacks.types`` stay light for ``apps spec validate``; the buildpacks themselves (uv,
packaging, semantic_version …) load on first use.
"""

from __future__ import annotations

from dockyard.lazy import exports

_EXPORTS: dict[str, str] = {
    "BUILDPACKS": "registry",
    "SUPPORTED_SLUGS": "registry",
    "BuildRequest": "types",
    "BuildResult": "types",
    "BuildSettings": "types",
    "Buildpack": "types",
    "DirFiles": "types",
    "Probe": "types",
    "SourceFiles": "types",
    "build": "registry",
    "read_release_json": "types",
    "select": "registry",
    "write_release_json": "types",
}

__all__ = sorted(_EXPORTS)


__getattr__ = exports(__name__, _EXPORTS)
