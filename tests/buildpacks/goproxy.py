"""A Go module proxy on disk (``GOPROXY=file:///…``), for builds on a machine that reaches no
real proxy: the layout of the GOPROXY protocol (``<module>/@v/list``, ``.info``, ``.mod``,
``.zip``), written from a folder of Go files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path


def publish(proxy: Path, module: str, version: str, files: dict[str, str]) -> Path:
    """Add ``module@version`` with ``files`` (relative path -> text) to the proxy at ``proxy``;
    ``files`` must hold its go.mod. Returns ``proxy`` (use ``GOPROXY=file://<proxy>``)."""
    at = proxy / module / "@v"
    at.mkdir(parents=True, exist_ok=True)
    versions = set((at / "list").read_text().split()) if (at / "list").exists() else set()
    (at / "list").write_text("\n".join(sorted(versions | {version})) + "\n")
    (at / f"{version}.info").write_text(json.dumps({"Version": version,
                                                    "Time": "2024-01-01T00:00:00Z"}))
    (at / f"{version}.mod").write_text(files["go.mod"])
    with zipfile.ZipFile(at / f"{version}.zip", "w") as zf:  # files only, no directory entries
        for rel, text in sorted(files.items()):
            zf.writestr(f"{module}@{version}/{rel}", text)
    return proxy


QUOTE = {
    "go.mod": "module example.com/quote\n\ngo 1.19\n",
    "quote.go": ("// Package quote returns a proverb (a stand-in for a third-party module).\n"
                 "package quote\n\n// Go returns a Go proverb.\nfunc Go() string {\n"
                 "\treturn \"Don't communicate by sharing memory, share memory by "
                 "communicating.\"\n}\n"),
}
