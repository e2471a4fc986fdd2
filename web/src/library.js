// The template library: choosing an industry shows its templates at once (the Show button
// does the same without JavaScript).
import "./library.css";

document.querySelectorAll("[data-submit-on-change]").forEach((select) => {
  select.addEventListener("change", () => select.form.requestSubmit());
});
