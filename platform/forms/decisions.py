"""A step decided by buttons never also asks for the decision in its form.

The convention: on a step whose operations include ``approve`` or ``reject``, the field
named by the step's ``approvalVariable`` property (default ``approved``) is the decision.
``render_form(..., decision=decision_for(...))`` then leaves that field's control out and
draws one button per allowed operation in place of the form's submit button; each button
posts the rest of the form together with the decision (to the form's own action, or to the
operation's URL when the caller gives one). So a person sees one way to approve, one way to
reject, and no "Approved" box beside an "Approve" button.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from forms.fields import option_key
from forms.schema import FormDefinition

DECISION_OPERATIONS = {"approve": True, "reject": False}
_DEFAULT_LABELS = {"approve": gettext_lazy("Approve"), "reject": gettext_lazy("Reject")}


@dataclass(frozen=True)
class DecisionButton:
    operation: str  # "approve" or "reject"
    value: str  # what the button posts under the decision field's name
    label: str
    action: str = ""  # where it posts ("": the form's action)


@dataclass(frozen=True)
class Decision:
    field: str  # the data path of the decision field, drawn as the buttons
    buttons: tuple[DecisionButton, ...]

    def operation_for(self, posted: str | None) -> str | None:
        """The operation ("approve"/"reject") of the button that posted ``posted``."""
        return next((b.operation for b in self.buttons if b.value == posted), None)


def decision_for(
    form: FormDefinition,
    operations: Iterable[str],
    properties: Mapping[str, str] | None = None,
    actions: Mapping[str, str] | None = None,
) -> Decision | None:
    """The decision of a step that offers ``operations`` (those the person may use), or None
    when the step decides nothing by button or its form has no decision field."""
    variable = (properties or {}).get("approvalVariable") or "approved"
    field = form.get(variable)
    offered = [op for op in DECISION_OPERATIONS if op in set(operations)]
    if field is None or field.is_container or not offered:
        return None
    labels = {option.key: option.label for option in field.options}
    buttons = []
    for operation in offered:
        value = option_key(DECISION_OPERATIONS[operation])
        label = labels.get(value) or _DEFAULT_LABELS[operation]
        buttons.append(DecisionButton(operation, value, label, (actions or {}).get(operation, "")))
    return Decision(field.path, tuple(buttons))
