"""The OpenAPI document tells the whole truth about the edge of the API.

Each operation lists the scope its ``require_scope`` decorator enforces as the scope of the
bearer-token security requirement (``{"ApiTokenAuth": ["tasks:write"]}``), so the document
and the check come from one declaration. Every operation also documents the answers the
edge gives before (or instead of) its body runs: 400 malformed input, 401 no or a bad
credential, 403 a missing scope or permission, 404 an unknown object, 413 a body over the
limit, 422 a request that does not match its schema, 429 a rate limit.
"""

from typing import Any

from ninja import NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema

from integrations.auth import ApiTokenAuth

MAX_ID = 2**63 - 1  # the largest database id (bigint): larger numbers are a 422


class ErrorOut(Schema):
    detail: str


class ValidationErrorOut(Schema):
    """422: `errors` lists schema violations ({"loc", "msg", "type"}) when the request does
    not match its schema, or maps form fields to messages when a form rejects the data."""

    detail: str
    errors: list[dict[str, Any]] | dict[str, str] | None = None


EDGE_ANSWERS = {
    400: ("malformed input (NUL bytes, JSON nested too deeply, multipart errors)", ErrorOut),
    401: ("no credential, or an invalid, expired or revoked API token", ErrorOut),
    403: ("the token lacks the operation's scope, or the user may not do this", ErrorOut),
    413: ("the request body is larger than the upload limit", ErrorOut),
    422: ("the request does not match its schema, or the form rejects the data", None),
    429: ("rate limit exceeded; retry after the Retry-After header's seconds", ErrorOut),
}


def required_scope(operation) -> str | None:
    return getattr(operation.view_func, "required_scope", None)


def operations_of(bound_routers):
    for router in bound_routers:
        for path_view in router.path_operations.values():
            yield from path_view.operations


class ScopedOpenAPISchema(OpenAPISchema):
    def operation_security(self, operation):
        security = super().operation_security(operation) or []
        for requirement, auth in zip(security, operation.auth_callbacks, strict=False):
            if isinstance(auth, ApiTokenAuth) and auth.scope:
                requirement[type(auth).__name__] = [auth.scope]
        return security or None

    def responses(self, operation):
        result = super().responses(operation)
        has_params = bool(operation.models)
        answers = dict(EDGE_ANSWERS)
        if "{" in operation.path:
            answers[404] = ("no such object (or one the caller may not see)", ErrorOut)
        if not operation.auth_callbacks:
            answers.pop(401)
        if not has_params:
            answers.pop(422)
        for status, (description, model) in answers.items():
            model = model or ValidationErrorOut
            if status == 422 or status not in result:
                schema = self._create_schema_from_model(
                    model, remove_level=False, mode="serialization"
                )[0]
                content = {self.api.renderer.media_type: {"schema": schema}}
                result[status] = {"description": description, "content": content}
        return result


class ScopedNinjaAPI(NinjaAPI):
    """A NinjaAPI whose operations check their token scope at authentication (from the
    view's ``require_scope``) and whose document declares the scopes and the edge's error
    answers."""

    def _get_bound_routers(self):
        first = self._bound_routers_cache is None
        bound = super()._get_bound_routers()
        if first:
            for operation in operations_of(bound):
                scope = required_scope(operation)
                if scope is not None:
                    operation.auth_callbacks = [
                        ApiTokenAuth(scope) if isinstance(auth, ApiTokenAuth) else auth
                        for auth in operation.auth_callbacks
                    ]
        return bound

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return ScopedOpenAPISchema(self, path_prefix)
