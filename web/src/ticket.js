// The ticket and step pages: operation dialogs and the people picker.
//   <button data-opens="dialog-id">   opens <dialog id="dialog-id"> (its [data-closes] closes it)
//   .fd-picker-box[data-picker-url]   a search box ([data-picker-search], a combobox) that
//                                     lists matches from the URL (?q=) and puts the chosen
//                                     value in [data-picker-value]
//   form[data-one-of="a b"]           choosing one of the fields clears the other
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

wireDialogs(document);
document.querySelectorAll(".fd-picker-box[data-picker-url]").forEach(wirePicker);
document.querySelectorAll("form[data-one-of]").forEach(wireOneOf);
