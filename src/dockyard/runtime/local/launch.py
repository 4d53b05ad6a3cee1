"""Instance launcher: ``python -m dockyard.runtime.local.launch SPEC.json``.

supervisord runs this for every instance. It reads the instance's launch file (command,
environment, working directory), then replaces itself with ``bash -c`` running the spec's
``run_command`` unchanged, as App Platform's buildpack launcher does: every line runs even
when an earlier one fails, and an ``ERR`` trap reports each failing line with its status.
Keeping the environment out of supervisord's config keeps it out of ``ps`` and config files.
"""

from __future__ import annotations

import json
import os
import sys

ERR_TRAP = ('trap \'echo "dockyard: command failed with exit status $?: $BASH_COMMAND" >&2\' '
            "ERR\n")


def script(command: str) -> str:
    return ERR_TRAP + command


def main(argv: list[str]) -> None:
    with open(argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    env = dict(spec["env"])
    if spec.get("encrypted"):
        from dockyard.release.secrets import decrypt_env

        env = decrypt_env(env, spec["encrypted"])
    os.chdir(spec["cwd"])
    os.execvpe("bash", ["bash", "-c", script(spec["command"])], env)


if __name__ == "__main__":
    main(sys.argv)
