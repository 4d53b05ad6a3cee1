"""Hypothesis strategies: App Specs generated from the pydantic models, then mutated.

``specs()`` walks ``AppSpec``'s fields: enums from their members, integers from the ranges
the field types check, strings from the pattern the field's name implies (names, env keys,
domains, route paths …), each component with exactly one git source, so a good share of the
specs is valid. ``mutated()`` then breaks them as a careless or hostile user would: wrong
types, unknown and missing keys, control characters and odd Unicode, huge and deep values.
``yaml_texts()`` writes specs as YAML, sometimes with anchors and aliases, or raw hostile text.
"""

from __future__ import annotations

import json
import types
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from hypothesis import strategies as st
from pydantic import BaseModel

from dockyard.appspec.blocks import GIT_SOURCES
from dockyard.appspec.models import AppSpec

COMPONENT_FIELDS = ("services", "static_sites", "workers", "jobs", "functions", "databases")
NAME = st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True)
ENV_KEY = st.from_regex(r"[_A-Z][_A-Z0-9]{0,10}", fullmatch=True)
LABEL = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,5})?", fullmatch=True)
DOMAIN = st.builds(lambda labels, tld: ".".join([*labels, tld]),
                   st.lists(LABEL, min_size=1, max_size=3), st.sampled_from(["com", "io", "dev"]))
SEGMENT = st.from_regex(r"[A-Za-z0-9._~!+,=:@-]{1,8}", fullmatch=True).filter(
    lambda s: s not in (".", ".."))
ROUTE_PATH = st.one_of(st.just("/"), st.lists(SEGMENT, min_size=1, max_size=3).map(
    lambda parts: "/" + "/".join(parts)))
DOCUMENT = st.from_regex(r"[a-z0-9_-]{1,8}(/[a-z0-9_-]{1,8})?\.html", fullmatch=True)
STRINGS: dict[str, st.SearchStrategy[str]] = {
    "name": NAME, "key": ENV_KEY, "domain": DOMAIN, "zone": DOMAIN,
    "path": ROUTE_PATH, "prefix": ROUTE_PATH, "exact": ROUTE_PATH, "rewrite": ROUTE_PATH,
    "http_path": ROUTE_PATH,
    "repo": st.builds("{}/{}".format, NAME, NAME),
    "repo_clone_url": st.builds("https://git.example.invalid/{}.git".format, NAME),
    "branch": st.sampled_from(["main", "develop", "release/1.0"]),
    "timeout": st.sampled_from(["30m", "90s", "1h30m"]),
    "max_age": st.sampled_from(["5h30m", "10s"]),
    "cron": st.sampled_from(["0 3 * * *", "@daily", "*/5 * * * *"]),
    "source_dir": st.sampled_from(["/", "app", "/backend", "src/web"]),
    "output_dir": st.sampled_from(["dist", "public", "_site"]),
    "dockerfile_path": st.sampled_from(["Dockerfile", "docker/Dockerfile"]),
    "index_document": DOCUMENT, "error_document": DOCUMENT, "catchall_document": DOCUMENT,
    "run_command": st.sampled_from(["gunicorn app:app", "python worker.py",
                                    "python manage.py migrate\ngunicorn mysite.wsgi"]),
    "endpoint": st.builds("https://logs.example.invalid/{}".format, NAME),
    "custom_error_page_url": st.builds("https://example.invalid/{}.html".format, NAME),
    "offline_page_url": st.builds("https://example.invalid/{}.html".format, NAME),
    "version": st.sampled_from(["15", "16", "12"]),
    "cluster_name": NAME, "db_name": NAME, "db_user": NAME, "id": NAME,
}


def _strip(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """(base type, validators) without Optional and Annotated."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *more = get_args(annotation)
            metadata = [*metadata, *more]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation, metadata
            annotation = rest[0]
        else:
            return annotation, metadata


def _closure(metadata: list[Any]) -> dict[str, Any]:
    """The variables a field type's check closes over (``lo``, ``hi``, ``values`` …)."""
    found: dict[str, Any] = {}
    for item in metadata:
        func = getattr(item, "func", None)
        if func is not None and func.__closure__:
            found.update(zip(func.__code__.co_freevars,
                             (cell.cell_contents for cell in func.__closure__), strict=True))
    return found


def _scalar(field: str, base: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    if isinstance(base, type) and issubclass(base, Enum):
        return st.sampled_from([member.value for member in base])
    bound = _closure(metadata)
    if "values" in bound:  # OneOf: sizes, redirect codes
        return st.sampled_from(list(bound["values"]))
    if base is bool:
        return st.booleans()
    if base is int:
        return st.integers(bound.get("lo") or 0, min(bound.get("hi") or 1000, 1000))
    if base is float:
        return st.integers(0, 100).map(float)
    return STRINGS.get(field, st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]),
                                      max_size=12))


def value_for(field: str, annotation: Any, metadata: list[Any], depth: int
              ) -> st.SearchStrategy[Any]:
    base, metadata = _strip(annotation, metadata)
    if get_origin(base) is list:
        (item,) = get_args(base)
        return st.lists(value_for(field, item, [], depth + 1), max_size=2)
    if isinstance(base, type) and issubclass(base, BaseModel):
        return model_dict(base, depth + 1)
    return _scalar(field, base, metadata)


def model_dict(model: type[BaseModel], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A mapping for ``model``: required fields always, others sometimes."""
    required, optional = {}, {}
    for name, info in model.model_fields.items():
        if name in GIT_SOURCES + ("image",) or name in COMPONENT_FIELDS:
            continue  # sources: exactly one, below; components: listed by specs()
        strategy = value_for(name, info.annotation, list(info.metadata), depth)
        (required if info.is_required() else optional)[name] = strategy
    if depth > 3:
        optional = {}
    base = st.fixed_dictionaries(required, optional=optional)
    sources = [s for s in GIT_SOURCES if s in model.model_fields]
    if not sources:
        return base
    return st.tuples(base, st.sampled_from(sources), st.data()).map(
        lambda parts: {**parts[0], parts[1]: _source(model, parts[1], parts[2])})


def _source(model: type[BaseModel], kind: str, data: st.DataObject) -> Any:
    info = model.model_fields[kind]
    return data.draw(value_for(kind, info.annotation, list(info.metadata), 1))


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    """A spec from the models: one to three components, often valid."""
    top = draw(model_dict(AppSpec))
    kinds = draw(st.lists(st.sampled_from(COMPONENT_FIELDS), min_size=1, max_size=3))
    for kind in kinds:
        top.setdefault(kind, []).append(_component(kind, draw))
    names = iter(f"c{i}-{draw(NAME)}" for i in range(100))
    for kind in COMPONENT_FIELDS:
        for comp in top.get(kind, []):
            comp["name"] = next(names)[:32].rstrip("-")
    return top


def _component(kind: str, draw: st.DrawFn) -> dict[str, Any]:
    (model,) = get_args(_strip(AppSpec.model_fields[kind].annotation, [])[0])
    return draw(model_dict(model, 1))


# -- mutations -------------------------------------------------------------------------------

ODD_TEXT = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs", "Co", "So"]), max_size=8),
    st.sampled_from(["web\n", "web\r", "a\x00b", "\u202eweb", "\ud800", "x\udfffy", "web ",
                     " web", "WEB", "\u0430pp", "../../etc", "/a b", "/a;b", '/a"b', "/..",
                     "%", "${x}", "\\", "*", "-rf", "'", "\t", "\ufeff", "\U0001f680"]),
    st.builds(lambda s, c: s + c, NAME, st.sampled_from(["\n", "\x00", "\x7f", "\u2028"])),
)
WRONG_TYPES = st.one_of(st.integers(-10**20, 10**20), st.floats(), st.booleans(), st.none(),
                        st.just([]), st.just({}), st.lists(st.integers(), max_size=3),
                        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
HUGE = st.one_of(st.integers(1000, 300_000).map(lambda n: "x" * n),
                 st.integers(100, 20_000).map(lambda n: ["x"] * n),
                 st.integers(100, 5000).map(lambda n: {f"k{i}": i for i in range(n)}))


def deep(levels: int, leaf: Any = "x") -> Any:
    value = leaf
    for i in range(levels):
        value = [value] if i % 2 else {"d": value}
    return value


DEEP = st.integers(20, 900).map(deep)  # deeper text comes from HOSTILE_TEXT
REPLACEMENTS = st.one_of(ODD_TEXT, WRONG_TYPES, ODD_TEXT, WRONG_TYPES, ODD_TEXT, HUGE, DEEP)
"""Mostly odd text and wrong types; huge and deep values (slow to generate) less often."""


def _paths(value: Any) -> list[tuple[Any, ...]]:
    """Every place in a value (not inside very deep parts), iteratively."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:
        at, item = stack.pop()
        out.append(at)
        if len(at) > 12:
            continue
        if isinstance(item, dict):
            stack.extend(((*at, key), child) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend(((*at, index), child) for index, child in enumerate(item[:50]))
    return out


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for seg in path:
        value = value[seg]
    return value


@st.composite
def mutate_once(draw: st.DrawFn, spec: Any) -> Any:
    """One change at a random place: replace a value, add a key, or drop one."""
    path = draw(st.sampled_from(_paths(spec)))
    how = draw(st.sampled_from(["replace", "add", "drop", "rename"]))
    if not path:
        return draw(REPLACEMENTS) if how == "replace" else spec
    parent, last = _get(spec, path[:-1]), path[-1]
    if how == "replace":
        parent[last] = draw(REPLACEMENTS)
    elif how == "add" and isinstance(parent, dict):
        parent[draw(st.one_of(ODD_TEXT, st.sampled_from(["nme", "image", "spec", "<<"])))] = \
            draw(st.one_of(ODD_TEXT, WRONG_TYPES))
    elif how == "drop" and isinstance(parent, dict):
        del parent[last]
    elif how == "rename" and isinstance(parent, dict):
        parent[draw(ODD_TEXT)] = parent.pop(last)
    return spec


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A generated spec with one to three mutations (and sometimes none)."""
    spec = draw(specs())
    for _ in range(draw(st.integers(0, 3))):
        spec = draw(mutate_once(spec))
    return spec


def as_json(value: Any) -> str:
    """JSON text of a value (NaN and infinities stay, as bad clients send them)."""
    return json.dumps(value, ensure_ascii=True)


# -- text ------------------------------------------------------------------------------------

def to_yaml(spec: Any, anchors: bool) -> str:
    """YAML of a spec; with ``anchors``, repeated objects become anchors and aliases."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    if not anchors:
        yaml.representer.ignore_aliases = lambda data: True  # type: ignore[method-assign]
    out = io.StringIO()
    yaml.dump(spec, out)
    return out.getvalue()


def _shared(spec: Any) -> Any:
    """The same component object twice, so the YAML writer makes an anchor and an alias."""
    for kind in COMPONENT_FIELDS:
        if isinstance(spec, dict) and isinstance(spec.get(kind), list) and spec[kind]:
            spec[kind] = [*spec[kind], spec[kind][0]]
            break
    return spec


def alias_bomb(levels: int) -> str:
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi", strict=False):
        if name > "abcdefghi"[levels - 1]:
            break
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return text + "name: bomb\nservices: *" + "abcdefghi"[levels - 1] + "\n"


HOSTILE_TEXT = st.one_of(
    st.integers(2, 8).map(alias_bomb),
    st.integers(50, 6000).map(lambda n: "name: x\nservices: " + "[" * n + "]" * n),
    st.integers(50, 6000).map(lambda n: "- " * n + "x"),
    st.integers(40, 400).map(lambda n: "".join(" " * i + "k:\n" for i in range(n))),
    st.just("a: &a [*a]\nname: x\n"),
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.just("name: app\n" + "# padding\n" * 14_000),
)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """YAML (or JSON) text: a mutated spec, sometimes with aliases, or hostile text."""
    choice = draw(st.integers(0, 9))
    if choice < 2:
        return draw(HOSTILE_TEXT)
    spec = draw(mutated())
    if choice < 4:
        return as_json(spec)
    try:
        return to_yaml(_shared(spec) if choice < 6 else spec, anchors=choice < 6)
    except Exception:  # noqa: BLE001 - ruamel cannot write every value (lone surrogates)
        return as_json(spec)
