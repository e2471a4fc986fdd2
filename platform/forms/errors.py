"""The one exception for broken form definitions (its own module so every loader can raise it
without import cycles; callers import it from ``forms.schema``)."""


class FormError(ValueError):
    """A broken form definition: bad JSON, unknown field type, missing file or bad rule.

    The message names the bundle file and, where there is one, the field."""
