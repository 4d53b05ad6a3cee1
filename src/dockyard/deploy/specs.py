"""Spec checks for the API, run in a child process through ``dockyard.offload``.

``check`` validates a spec (the user's YAML text, or DigitalOcean's ``spec`` object), encrypts
plaintext SECRET values as DigitalOcean does (in the spec and in its YAML, comments kept), and
returns plain data the API stores and answers with.

It also says, before anything is built, what will not deploy (``undeployable``: functions,
unknown ``environment_slug``s, Dockerfiles and images this machine cannot build or pull;
with ``inspect``, which ``apps propose`` asks for, also components whose source_dir at the
branch head has nothing a buildpack recognises, or whose ``dockerfile_path`` is not there)
and which buildpack builds the rest (``builds``). Image ``registry_credentials`` are
encrypted like SECRET values. With ``gate`` (create,
update) such a spec is refused unless ``skip_undeployable``; a spec with nothing Dockyard can
run, a foreign ``EV[…]`` secret or a PostgreSQL version that cannot be served is refused
always.
"""

from __future__ import annotations

from typing import Any


class _NoFiles:
    """The files of an image source: none (it is pulled, not built)."""

    def names(self) -> frozenset[str]:
        return frozenset()

    def read(self, rel: str) -> str | None:
        return None


NO_FILES = _NoFiles()

SKIP_HINT = ("Fix or remove those components, or deploy the rest: `dockyard apps create "
             "--skip-undeployable` (API: \"skip_undeployable\": true).")


def check(text: str | None = None, data: dict[str, Any] | None = None,
          filename: str = "spec", inspect: bool = False, gate: bool = False,
          skip_undeployable: bool = False) -> dict[str, Any]:
    from dockyard.appspec import (
        load_spec,
        parse_spec_data,
        with_env_values,
        with_image_credentials,
    )
    from dockyard.paths import Home
    from dockyard.release.secrets import SecretBox, seal_credentials, seal_env

    doc = load_spec(text, filename) if text is not None else parse_spec_data(data or {},
                                                                             filename)
    home = Home.default()
    box = SecretBox(home.secrets_key)
    refusals = _always_refused(doc, home, box)
    doc = with_env_values(doc, lambda _where, env: seal_env(env, box))
    doc = with_image_credentials(doc, lambda _where, image: seal_credentials(image, box))
    spec = doc.spec
    undeployable, builds, notes = _plan(doc, inspect, _host(home), box)
    notes = doc.notes + refusals.pop("notes") + notes
    _refuse(doc, refusals["issues"], undeployable, gate and not skip_undeployable)
    return {"name": spec.name, "spec": doc.to_dict(), "yaml": doc.to_yaml(), "notes": notes,
            "undeployable": [str(i) for i, _code in undeployable],
            "builds": builds,
            "is_static": bool(spec.static_sites) and not (spec.services or spec.workers
                                                          or spec.jobs)}


def _always_refused(doc: Any, home: Any, box: Any) -> dict[str, Any]:
    """Problems no flag lets through: foreign secrets, PostgreSQL versions, what Dockyard
    cannot run (``SpecDocument.unsupported``)."""
    from dockyard.databases.versions import check_databases
    from dockyard.release.secrets import foreign_secret_problems

    issues = [doc.issue(_loc(path), message)
              for path, _key, message in foreign_secret_problems(doc.to_dict(), box)]
    problems, notes = check_databases(doc.spec, home)
    issues += [doc.issue(loc, message) for loc, message in problems]
    issues += doc.unsupported()  # engines and instance counts this machine cannot run
    return {"issues": issues, "notes": notes}


def _host(home: Any) -> Any:
    """What this machine can build (Dockerfiles and images need root and buildah)."""
    from dockyard.buildpacks import plan
    from dockyard.settings import load_settings

    settings = load_settings(home)
    return plan.Host.detect(settings.docr_registry, settings.registry_mirrors, settings.runtime)


def _plan(doc: Any, inspect: bool, host: Any, box: Any = None
          ) -> tuple[list[tuple[Any, str]], list[dict[str, Any]], list[str]]:
    """(undeployable issues with codes, per-component detection, notes)."""
    from dockyard.buildpacks import plan

    found = [(i, "spec.undeployable") for i in doc.undeployable()]
    found += [(doc.issue(f.loc, f.reason), f.code or "") for f in plan.blockers(doc.spec, host)]
    blocked = {name for name, _why in plan.skipped(doc.spec, host)}
    builds: list[dict[str, Any]] = []
    notes: list[str] = []
    if inspect:
        findings, notes = _inspect(doc.spec, blocked, host, box)
        builds = [f.to_json() for f in findings]
        found += [(doc.issue(f.loc, f.reason), f.code or "") for f in findings
                  if not f.deployable]
    return found, builds, notes


def _inspect(spec: Any, blocked: set[str], host: Any = None, box: Any = None
             ) -> tuple[list[Any], list[str]]:
    """Detection at each buildable component's branch head, without a checkout."""
    from dockyard.buildpacks import plan
    from dockyard.deploy.building import source_of
    from dockyard.errors import DockyardError
    from dockyard.source import source_ref
    from dockyard.source.peek import Peek

    findings, notes = [], []
    with Peek() as peek:
        for loc, kind, comp in plan.components(spec):
            if comp.name in blocked:
                continue
            if getattr(comp, "image", None) is not None:
                findings.append(_image_finding(loc, kind, comp, host, box))
                continue
            try:
                ref = source_ref(*source_of(comp))
                files = peek.files(ref, comp.source_dir)
                root = peek.files(ref, None) if comp.dockerfile_path else None
            except DockyardError as exc:
                if exc.code == "source.dir_missing":
                    findings.append(plan.Finding(loc, comp.name, kind, False,
                                                 f'"{comp.name}": {exc.message}', code=exc.code))
                else:
                    notes.append(f"{loc[0]}[{loc[1]}] '{comp.name}': not checked before the "
                                 f"build: {exc.message}")
                continue
            findings.append(plan.detect(loc, kind, comp, files, root))
    return findings, notes


def _image_finding(loc: Any, kind: str, comp: Any, host: Any, box: Any) -> Any:
    """An image source: deployable when its registry has it (one HEAD of the manifest)."""
    from dockyard.buildpacks import plan
    from dockyard.buildpacks.imagecheck import missing_reason
    from dockyard.buildpacks.imageref import image_ref
    from dockyard.release.secrets import is_encrypted

    found = plan.detect(loc, kind, comp, NO_FILES)
    if host is None:
        return found
    credentials = comp.image.registry_credentials or None
    if credentials and is_encrypted(credentials):
        credentials = box.decrypt(credentials) if box is not None and box.is_ours(
            credentials) else None
    ref = image_ref(comp.image.model_dump(mode="json"), host.docr_registry)
    why = missing_reason(ref, dict(host.registry_mirrors), credentials)
    if why is None:
        return found
    return plan.Finding((*loc, "image"), comp.name, kind, False, f'"{comp.name}": {why}',
                        code="image.unavailable")


def _refuse(doc: Any, issues: list[Any], undeployable: list[tuple[Any, str]],
            gate: bool) -> None:
    from dockyard.appspec.errors import SpecError
    from dockyard.buildpacks import plan

    if plan.nothing_to_run(doc.spec):
        issues = [*issues, *(i for i, _code in undeployable)]
        raise _error(issues, "spec.nothing_to_deploy",
                     "This app has nothing Dockyard can run: deploy its functions on "
                     "DigitalOcean, or add a service, worker, job or static site built from git.")
    if issues:
        raise SpecError(issues, filename=doc.filename)
    if gate and undeployable:
        raise _error([i for i, _code in undeployable], "spec.undeployable", SKIP_HINT)


def _error(issues: list[Any], code: str, hint: str) -> Exception:
    from dockyard.appspec.errors import SpecError

    err = SpecError(issues, filename=None, code=code)
    err.hint = hint
    return err


def _loc(path: str) -> tuple[str | int, ...]:
    """``services[0].envs[2].value`` → ("services", 0, "envs", 2, "value")."""
    import re

    out: list[str | int] = []
    for name, index in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", path):
        out.append(int(index) if index else name)
    return tuple(out)
