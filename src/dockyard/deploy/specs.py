"""Spec checks for the API, run in a child process through ``dockyard.offload``.

``check`` validates a spec (the user's YAML text, or DigitalOcean's ``spec`` object), encrypts
plaintext SECRET values as DigitalOcean does (in the spec and in its YAML, comments kept), and
returns plain data the API stores and answers with.
"""

from __future__ import annotations

from typing import Any


def check(text: str | None = None, data: dict[str, Any] | None = None,
          filename: str = "spec") -> dict[str, Any]:
    from dockyard.appspec import SpecError, load_spec, parse_spec_data, with_env_values
    from dockyard.paths import Home
    from dockyard.release.secrets import SecretBox, seal_env

    doc = load_spec(text, filename) if text is not None else parse_spec_data(data or {},
                                                                             filename)
    refused = doc.unsupported()
    if refused:
        raise SpecError(refused, filename=filename, code="spec.unsupported")
    box = SecretBox(Home.default().secrets_key)
    doc = with_env_values(doc, lambda _where, env: seal_env(env, box))
    spec = doc.spec
    return {"name": spec.name, "spec": doc.to_dict(), "yaml": doc.to_yaml(),
            "notes": doc.notes, "undeployable": [str(i) for i in doc.undeployable()],
            "is_static": bool(spec.static_sites) and not (spec.services or spec.workers
                                                          or spec.jobs)}
