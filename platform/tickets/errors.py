"""Refusals of ticket actions; each carries the HTTP status an endpoint answers with."""


class ActionError(Exception):
    status = 400


class Conflict(ActionError):
    status = 409


class Forbidden(ActionError):
    status = 403


class InvalidSubmission(ActionError):
    """Form errors, every one of them, keyed by field path ("" for the whole form)."""

    status = 422

    def __init__(self, errors: dict[str, str], redisplay: dict | None = None):
        super().__init__("; ".join(f"{k or 'form'}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.redisplay = redisplay or {}


class NotFound(ActionError):
    status = 404
