"""Reading one deployment's log files: each instance's lines, each line once, newest last.

A deployment's RUN logs are one file per instance (``run-web-0.log``, ``run-web-1.log`` …),
written as the instances print. ``LogReader`` keeps an offset per file, so a follower sees
every new line of every instance exactly once; with more than one file each line starts with
its instance (``web-1 ``), as doctl shows DigitalOcean's logs. Lines carry no timestamps, so
"the last N lines" of several files are taken evenly from each file's end.
"""

from __future__ import annotations

from pathlib import Path

from dockyard.deploy.logfiles import log_files

MAX_READ_BYTES = 4 * 1024 * 1024
"""Read per file per poll; a faster writer is caught up on the next poll."""


def instance_label(path: Path) -> str:
    """``run-web-1.log`` → ``web-1``; ``build-site.log`` → ``site``."""
    return path.stem.removeprefix("run-").removeprefix("build-")


def newest(per_file: list[list[str]], count: int | None) -> list[str]:
    """All lines, file after file; or the newest ``count``, taken evenly from each file's end
    (the k-th line from the end of every file counts as equally old)."""
    if count is None or count < 0:
        return [line for lines in per_file for line in lines]
    keyed = [(len(lines) - i, index, line)
             for index, lines in enumerate(per_file) for i, line in enumerate(lines)]
    keyed.sort(key=lambda item: (-item[0], item[1]))
    return [line for _age, _index, line in keyed[len(keyed) - count:]] if count else []


class LogReader:
    """New complete lines of a deployment's log files since the last ``poll``."""

    def __init__(self, folder: Path, kind: str, component: str | None,
                 prefix: bool = True) -> None:
        self.folder, self.kind, self.component = folder, kind, component or None
        self.offsets: dict[Path, int] = {}
        self.partial: dict[Path, bytes] = {}
        self.prefix = prefix  # False: doctl's --no-prefix
        self.prefixed = False

    def poll(self) -> list[list[str]]:
        """Per file (in name order), the lines completed since the previous poll."""
        files = log_files(self.folder, self.kind, self.component)
        self.prefixed = self.prefix and (self.prefixed or len(files) > 1)
        out = []
        for path in files:
            lines = self._read(path)
            if self.prefixed:
                lines = [f"{instance_label(path)} {line}" for line in lines]
            out.append(lines)
        return out

    def _read(self, path: Path) -> list[str]:
        try:
            with open(path, "rb") as fh:
                size = fh.seek(0, 2)
                offset = self.offsets.get(path, 0)
                if size < offset:  # rotated or truncated: start again from its beginning
                    offset, self.partial[path] = 0, b""
                fh.seek(offset)
                data = fh.read(MAX_READ_BYTES)
        except OSError:
            return []
        self.offsets[path] = offset + len(data)
        data = self.partial.pop(path, b"") + data
        complete, _, rest = data.rpartition(b"\n")
        if rest:
            self.partial[path] = rest
        if not complete and not _:
            return []
        return complete.decode("utf-8", "replace").split("\n")

    def rest(self) -> list[str]:
        """Unterminated last lines, once the stream ends."""
        return [(f"{instance_label(p)} " if self.prefixed else "") +
                data.decode("utf-8", "replace") for p, data in sorted(self.partial.items())]
