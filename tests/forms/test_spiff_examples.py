"""SpiffArena's own example forms load, render and validate unchanged."""

import json

from forms.permissions import field_access
from forms.render import parse_post, render_form
from forms.schema import load_form
from forms.validation import apply_defaults, validate_submission

from .browser import BrowserForm


def _example_data(spiff_files):
    return json.loads(spiff_files["test-exampledata.json"])


def test_form_example_loads_with_its_ui_schema(spiff_files):
    form = load_form(spiff_files, "test-schema.json")  # test-uischema.json found beside it
    assert [f.name for f in form.fields] == [
        "firstName", "lastName", "age", "bio", "hatedFruit", "favoriteFruit",
        "telephone", "delivery_date",
    ]  # fmt: skip
    by_name = {f.name: f for f in form.fields}
    assert by_name["age"].title == "Age of person"  # ui:title beats the schema title
    assert by_name["bio"].type == "textarea"
    assert by_name["hatedFruit"].options_var == "fruits"
    assert by_name["delivery_date"].type == "date"
    assert by_name["telephone"].input_type == "tel"


def test_form_example_renders_options_from_task_data(spiff_files):
    form = load_form(spiff_files, "test-schema.json")
    data = _example_data(spiff_files)
    html = render_form(form, data, field_access(form, "form_examples", ["everyone"]))
    browser = BrowserForm(html)
    assert browser.unlabelled() == []
    fruit = browser.named("hatedFruit")[0]
    assert fruit.options == [["", False], ["apples", True], ["oranges", False], ["bananas", False]]
    assert 'placeholder="ui:emptyValue causes this field' in html
    assert "Pick your first name" in html  # ui:help
    assert 'type="tel"' in html and 'type="date"' in html and "<textarea" in html
    assert "password" not in html  # named in ui:order but not in the schema: ignored


def test_form_example_validates_like_rjsf(spiff_files):
    form = load_form(spiff_files, "test-schema.json")
    data = _example_data(spiff_files)
    access = field_access(form, "form_examples", ["everyone"])
    submitted = {k: v for k, v in data.items() if k != "fruits"}
    result = validate_submission(form, submitted, access, current=data)
    # The example's own default phone number does not match its pattern; the schema's
    # validationErrorMessage is what the user sees. firstName is empty but has ui:emptyValue.
    assert result.errors == {
        "telephone": "Please provide a valid phone number, for example: "
        "+91 (123) 456-7890 or +1 540-555-1234"
    }
    assert result.cleaned["firstName"] == ""
    fixed = validate_submission(
        form, {**submitted, "telephone": "+1 540-555-1234", "age": "17"}, access, current=data
    )
    assert fixed.errors == {"age": "Must be at least 18."}
    wrong_fruit = validate_submission(form, {"hatedFruit": "kiwis"}, access, current=data)
    assert wrong_fruit.errors["hatedFruit"] == "Select a valid choice."


def test_form_example_defaults_and_browser_round_trip(spiff_files):
    form = load_form(spiff_files, "test-schema.json")
    access = field_access(form, "form_examples", ["everyone"])
    fruits = {"fruits": _example_data(spiff_files)["fruits"]}
    data = apply_defaults(form, fruits, lambda source, context: None)
    assert data["lastName"] == "Norris" and data["age"] == 83
    browser = BrowserForm(render_form(form, data, access))
    browser.fill("telephone", "+1 540-555-1234")
    browser.fill("hatedFruit", "bananas")
    browser.fill("favoriteFruit", "apples")
    browser.fill("delivery_date", "2024-04-19")
    result = validate_submission(form, parse_post(form, browser.post()), access, current=data)
    assert result.errors == {}
    assert result.cleaned["hatedFruit"] == "bananas" and result.cleaned["age"] == 83


def test_trivia_quiz_loads_renders_and_validates(spiff_files):
    form = load_form(spiff_files, "trivia-quiz-schema.json", "trivia-quiz-uischema.json")
    answers = json.loads(spiff_files["trivia-quiz-exampledata.json"])
    access = field_access(form, "quiz", ["players"])
    assert form.title == "Trivia Quiz!"
    html = render_form(form, answers, access)
    assert 'name="flag_stars" value="12"' in html and "Trivia Quiz!" in html
    assert validate_submission(form, answers, access).cleaned == answers
    result = validate_submission(form, {"flag_stars": "twelve"}, access)
    assert result.errors == {
        "flag_stars": "Enter a number.",
        "longest_river": "This field is required.",
        "woman_nobel": "This field is required.",
    }
