"""Response bodies of long lists, built once instead of validated field by field.

django-ninja validates what a view returns against its response schema by reading every
field of every row through a getter object (`DjangoGetter`) and pydantic's validators: for
a page of 50 tickets that is about as long as finding them. `built` reads the same
values the same way (the schema's own `resolve_<field>` methods first, else the
attribute or key of that name; nested schemas and lists of them in turn) and makes the
schema's instances without validating them again; ninja then serializes a response
that is an instance of its declared schema as it is. A list it validates again whatever
its items are, so `listed` renders a list response itself.

Only for schemas whose values the views produce in the declared types (ids, strings,
datetimes): a test holds each use to `model_validate` on real rows
(tests/integrations/test_built_responses.py).
"""

import inspect
import types
import typing
from functools import cache

from django.http import HttpResponse
from ninja import Schema
from ninja.renderers import JSONRenderer

__all__ = ["built", "listed"]

_RENDERER = JSONRenderer()


def built(schema: type[Schema], obj, context: dict) -> Schema:
    """`schema.model_validate(obj, context=context)`, without the validation."""
    values = {}
    for name, read, nested, many in _plan(schema):
        value = read(obj, context)
        if nested is not None and value is not None:
            value = (
                [built(nested, v, context) for v in value]
                if many
                else built(nested, value, context)
            )
        values[name] = value
    return schema.model_construct(**values)


def listed(request, response: HttpResponse, schema: type[Schema], rows) -> HttpResponse:
    """`response` (the view's temporal response: ninja's content type, the headers the
    view set) with the body of `response={200: list[schema]}` for `rows`, rendered by
    ninja's JSON renderer."""
    body = [built(schema, row, {"request": request}).model_dump() for row in rows]
    response.content = _RENDERER.render(request, body, response_status=response.status_code)
    return response


@cache
def _plan(schema: type[Schema]) -> tuple:
    """Per field: its name, how to read it, and the nested schema (if any) and whether
    the field is a list of it."""
    plan = []
    for name, field in schema.model_fields.items():
        nested, many = _nested(field.annotation)
        plan.append((name, _reader(schema, name), nested, many))
    return tuple(plan)


def _nested(annotation) -> tuple[type[Schema] | None, bool]:
    many = typing.get_origin(annotation) is list
    if many:
        (annotation,) = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = options[0] if len(options) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, Schema):
        return annotation, many
    return None, many


def _reader(schema: type[Schema], name: str):
    resolve = getattr(schema, f"resolve_{name}", None)
    if resolve is not None:
        if "context" in inspect.signature(resolve).parameters:
            return lambda obj, context: resolve(obj, context=context)
        return lambda obj, context: resolve(obj)

    def read(obj, context):
        return obj[name] if isinstance(obj, dict) else getattr(obj, name)

    return read
