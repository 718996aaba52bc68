"""Every number of the schema is finite and bounded; describing a bad value is bounded."""

from __future__ import annotations

import math
import types
import typing

import annotated_types
from pydantic import BaseModel

from generator.config import Environment
from generator.config.load import _describe


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    if model in seen:
        return
    seen.add(model)
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                _models(annotation, seen)
            stack.extend(typing.get_args(annotation))


def _is_float(annotation: object) -> bool:
    if annotation is float:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_is_float(a) for a in typing.get_args(annotation))
    return False


def test_every_float_in_the_schema_is_finite_and_bounded() -> None:
    models: set[type[BaseModel]] = set()
    _models(Environment, models)
    unbounded = []
    for model in models:
        assert model.model_config.get("allow_inf_nan") is False, model.__name__
        for name, field in model.model_fields.items():
            if not _is_float(field.annotation):
                continue
            metadata = list(field.metadata)
            for arg in typing.get_args(field.annotation):
                metadata += list(getattr(arg, "__metadata__", ()))
            if not any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in metadata):
                unbounded.append(f"{model.__name__}.{name}")
    assert unbounded == []


def test_describing_a_huge_value_stops_early() -> None:
    huge: list[object] = ["x"]
    for _ in range(40):  # 2**40 leaves if it were ever walked whole
        huge = [huge, huge]
    text = _describe(huge)
    assert len(text) <= 80 and text.endswith("...")
    assert _describe({"a": math.pi}) == '{"a": 3.141592653589793}'
