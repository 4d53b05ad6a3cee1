"""Turn pydantic's errors into DigitalOcean-style problems: a field path and a plain message.

Field types already word their own messages (``fields.py``); this module covers the structural
errors pydantic raises itself: unknown and missing fields, and objects or lists of the wrong kind.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .errors import Loc, show
from .fields import did_you_mean
from .models import COMPONENT_LISTS, AppSpec

Problem = tuple[Loc, str]
_NO_IMAGE = {"static_sites": "static sites", "functions": "functions components"}


def _strip(annotation: Any) -> Any:
    """Drop Annotated[...] and Optional[...] wrappers."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            rest = [a for a in get_args(annotation) if a is not type(None)]
            if len(rest) == 1:
                annotation = rest[0]
                continue
        return annotation


def model_at(loc: Loc, root: type[BaseModel] = AppSpec) -> type[BaseModel] | None:
    """The model class that validates the object at ``loc`` (None if not a model)."""
    annotation: Any = root
    for seg in loc:
        annotation = _strip(annotation)
        if isinstance(seg, int):
            if get_origin(annotation) is not list:
                return None
            annotation = get_args(annotation)[0]
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        field = annotation.model_fields.get(seg)
        if field is None:
            return None
        annotation = field.annotation
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _owners_elsewhere(loc: Loc) -> list[str]:
    """Other component lists whose models have this field at the same place."""
    if len(loc) < 3 or not isinstance(loc[1], int):
        return []
    owners = []
    for field, _ in COMPONENT_LISTS:
        model = model_at((field, 0, *loc[2:-1]))
        if field != loc[0] and model is not None and loc[-1] in model.model_fields:
            owners.append(field)
    return owners


def _unknown_field(loc: Loc) -> str:
    key = loc[-1]
    if key == "image" and len(loc) == 3 and loc[0] in _NO_IMAGE:
        return (f"{_NO_IMAGE[str(loc[0])]} cannot use an image source; "
                "use one of git, github, gitlab, bitbucket")
    owners = _owners_elsewhere(loc)
    if owners:
        return f"unknown field here; {key} applies only to {', '.join(owners)}"
    model = model_at(loc[:-1])
    allowed = list(model.model_fields) if model else []
    hint = did_you_mean(str(key), allowed)
    if hint:
        return f"unknown field{hint}"
    return f"unknown field; fields allowed here: {', '.join(allowed)}" if allowed else \
        "unknown field"


def _message(error: dict[str, Any]) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "spec":
        return str(error["msg"])
    if kind == "extra_forbidden":
        return _unknown_field(tuple(error["loc"]))
    if kind == "missing":
        return "required field is missing"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of fields, found {show(value)}"
    if kind == "list_type":
        return f"expected a list, found {show(value)}"
    return f"{error['msg']} (found {show(value)})"


def model_problems(exc: ValidationError) -> list[Problem]:
    """Every pydantic error as (path, message), in pydantic's order."""
    return [(tuple(err["loc"]), _message(err)) for err in exc.errors()]
