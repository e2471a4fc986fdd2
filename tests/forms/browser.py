"""A browser without JavaScript, for tests: reads the controls of a rendered form, lets a
test fill them in, and builds the POST a browser would send (successful controls in
document order), so the HTML and ``parse_post`` are tested against each other."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.http import QueryDict


@dataclass
class Control:
    tag: str
    type: str
    name: str
    id: str
    value: str = ""
    checked: bool = False
    options: list[list] = field(default_factory=list)  # [value, selected]
    multiple: bool = False
    disabled: bool = False


class BrowserForm(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.controls: list[Control] = []
        self.labels: set[str] = set()
        self._textarea: Control | None = None
        self._option: list | None = None
        self.feed(html)

    # -- parsing
    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "label" and "for" in a:
            self.labels.add(a["for"])
        if tag in ("input", "select", "textarea"):
            control = Control(
                tag=tag,
                type=a.get("type", tag) if tag == "input" else tag,
                name=a.get("name", ""),
                id=a.get("id", ""),
                value=a.get("value", ""),
                checked="checked" in a,
                multiple="multiple" in a,
                disabled="disabled" in a,
            )
            self.controls.append(control)
            self._textarea = control if tag == "textarea" else None
        elif tag == "option":
            self._option = [a.get("value", ""), "selected" in a]
            self.controls[-1].options.append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            # browsers drop the one newline that follows <textarea>
            self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None

    # -- user actions
    def named(self, name: str) -> list[Control]:
        found = [c for c in self.controls if c.name == name and c.type != "hidden"]
        assert found, f"no visible control named {name!r}"
        return found

    def fill(self, name: str, value: str, index: int = 0) -> None:
        control = self.named(name)[index]
        if control.tag == "select":
            assert any(o[0] == value for o in control.options), f"{value!r} not offered"
            for option in control.options:
                option[1] = option[0] == value
        else:
            control.value = value

    def choose(self, name: str, values: list[str]) -> None:
        """Tick exactly ``values`` among checkboxes/radios, or select them in a <select>."""
        for control in self.named(name):
            if control.tag == "select":
                for option in control.options:
                    option[1] = option[0] in values
            else:
                control.checked = control.value in values

    # -- submitting
    def post(self) -> QueryDict:
        data = QueryDict(mutable=True)
        for control in self.controls:
            for value in self._submitted_values(control):
                data.appendlist(control.name, value)
        return data

    def _submitted_values(self, control: Control) -> list[str]:
        if control.disabled or not control.name or control.type in ("file", "submit"):
            return []
        if control.type in ("checkbox", "radio"):
            return [control.value] if control.checked else []
        if control.tag == "select":
            chosen = [o[0] for o in control.options if o[1]]
            if not chosen and not control.multiple and control.options:
                chosen = [control.options[0][0]]
            return chosen
        return [control.value]

    def unlabelled(self) -> list[str]:
        """Visible controls no <label for=...> points at."""
        return [
            c.name
            for c in self.controls
            if c.type not in ("hidden", "submit") and c.id not in self.labels
        ]
