// The ticket and step pages: operation dialogs and the people picker.
//   <button data-opens="dialog-id">   opens <dialog id="dialog-id"> (its [data-closes] closes it)
//   .fd-picker-box[data-picker-url]   a search box ([data-picker-search], a combobox) that
//                                     lists matches from the URL (?q=) and puts the chosen
//                                     value in [data-picker-value]
//   form[data-one-of="a b"]           choosing one of the fields clears the other
//   input[data-fd-picker=user|customer|part|warehouse] a form's picker field
//                                     (forms.boundfields) becomes such a search box; the value
//                                     sent stays the username (customer id, SKU, warehouse
//                                     code), the person sees and types names
import "./ticket.css";

function wireDialogs(root) {
  root.querySelectorAll("[data-opens]").forEach((button) => {
    const dialog = document.getElementById(button.dataset.opens);
    if (!dialog) return;
    button.setAttribute("aria-haspopup", "dialog");
    button.addEventListener("click", () => {
      dialog.showModal();
      const first = dialog.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
    dialog.querySelectorAll("[data-closes]").forEach((close) => {
      close.addEventListener("click", () => dialog.close());
    });
  });
}

function wirePicker(box) {
  const search = box.querySelector("[data-picker-search]");
  const value = box.querySelector("[data-picker-value]");
  const list = box.querySelector("[role=listbox]");
  let timer = null;
  let active = -1;

  function options() {
    return Array.from(list.querySelectorAll("[role=option]"));
  }
  function close() {
    list.hidden = true;
    search.setAttribute("aria-expanded", "false");
    search.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function highlight(index) {
    const all = options();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    search.setAttribute("aria-activedescendant", all[active].id);
  }
  function choose(option) {
    value.value = option.dataset.value;
    search.value = option.textContent;
    value.dispatchEvent(new Event("change", { bubbles: true }));
    close();
  }
  async function lookUp() {
    const url = new URL(box.dataset.pickerUrl, window.location.href);
    url.searchParams.set("q", search.value.trim());
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const { results } = await response.json();
    list.replaceChildren(
      ...results.map((found, i) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.value = found.value;
        option.textContent = found.label;
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(option);
        });
        return option;
      }),
    );
    if (!results.length) {
      const none = document.createElement("li");
      none.className = "fd-picker-none";
      none.textContent = box.dataset.noneText || "—";
      list.replaceChildren(none);
    }
    list.hidden = false;
    search.setAttribute("aria-expanded", "true");
  }

  search.addEventListener("input", () => {
    value.value = "";
    clearTimeout(timer);
    timer = setTimeout(lookUp, 200);
  });
  search.addEventListener("focus", () => {
    if (!value.value) lookUp();
  });
  search.addEventListener("blur", () => setTimeout(close, 100));
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight(active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active - 1);
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      choose(options()[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.stopPropagation();
      close();
    }
  });
}

function wireOneOf(form) {
  const names = form.dataset.oneOf.split(" ");
  const fields = names.map((name) => form.elements.namedItem(name)).filter(Boolean);
  fields.forEach((field) => {
    field.addEventListener("change", () => {
      if (!field.value) return;
      fields.filter((other) => other !== field).forEach((other) => {
        other.value = "";
        const box = other.closest(".fd-picker-box");
        if (box) box.querySelector("[data-picker-search]").value = "";
      });
    });
  });
}

const PICKER_URLS = {
  user: "/people/search/",
  customer: "/customers/search/",
  part: "/parts/search/",
  warehouse: "/warehouses/search/",
};

async function labelOf(url, value) {
  const lookUp = new URL(url, window.location.href);
  lookUp.searchParams.set("q", value);
  const response = await fetch(lookUp, { credentials: "same-origin" });
  if (!response.ok) return value;
  const { results } = await response.json();
  const found = results.find((r) => String(r.value) === value);
  return found ? found.label : value;
}

function enhanceFormPicker(input) {
  const base = PICKER_URLS[input.dataset.fdPicker];
  if (!base || input.type === "hidden") return;
  const url = input.dataset.fdGroup ? `${base}?group=${encodeURIComponent(input.dataset.fdGroup)}` : base;
  const box = document.createElement("div");
  box.className = "fd-picker-box";
  box.dataset.pickerUrl = url;
  const search = document.createElement("input");
  search.type = "text";
  search.id = input.id;
  input.id = `${input.id}-value`;
  for (const name of ["aria-describedby", "aria-invalid", "required", "placeholder"]) {
    if (input.hasAttribute(name)) search.setAttribute(name, input.getAttribute(name));
  }
  input.removeAttribute("required");
  search.setAttribute("role", "combobox");
  search.setAttribute("autocomplete", "off");
  search.setAttribute("aria-autocomplete", "list");
  search.setAttribute("aria-expanded", "false");
  search.setAttribute("aria-controls", `${search.id}-list`);
  search.dataset.pickerSearch = "";
  const list = document.createElement("ul");
  list.id = `${search.id}-list`;
  list.className = "fd-picker-list";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.parentNode.insertBefore(box, input);
  input.type = "hidden";
  input.dataset.pickerValue = "";
  box.append(search, input, list);
  const label = document.querySelector(`label[for="${search.id}"]`);
  if (label) list.setAttribute("aria-label", label.textContent.trim());
  if (input.value) labelOf(url, input.value).then((label) => { search.value = label; });
  wirePicker(box);
}

document.querySelectorAll("input[data-fd-picker]").forEach(enhanceFormPicker);
wireDialogs(document);
document.querySelectorAll(".fd-picker-box[data-picker-url]:not(:has(input[data-fd-picker]))").forEach(wirePicker);
document.querySelectorAll("form[data-one-of]").forEach(wireOneOf);
