// The worklist page: "select all" for the bulk actions and the people picker, which
// narrows the "Assign to" list by name through /tasks/people/?q=… . The rows themselves
// refresh through htmx (hx-trigger on #worklist-rows); notify.js announces new
// notifications with a `notify-message` event on <body>.
import "./worklist.css";

// On a phone the filters and the bulk actions start folded ("Filters (2)"), so the list
// is what the screen shows first; the page renders them open for wider screens (and for
// a browser without scripts).
const NARROW = "(max-width: 720px)";

function foldOnPhones() {
  if (!window.matchMedia(NARROW).matches) return;
  for (const panel of document.querySelectorAll("details[data-narrow-closed]")) panel.open = false;
}

function selectAll() {
  const all = document.querySelector(".fd-select-all");
  if (!all) return;
  all.hidden = false;
  all.addEventListener("change", () => {
    for (const box of document.querySelectorAll("#worklist-rows input[name=task]")) {
      box.checked = all.checked;
    }
  });
}

function peoplePicker() {
  const search = document.querySelector(".fd-people-search");
  if (!search) return;
  const select = document.getElementById(search.dataset.peopleSelect);
  if (!select) return;
  search.hidden = false;
  const placeholder = select.options[0];
  let timer = null;
  let asked = 0;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++asked;
      const url = `${search.dataset.peopleUrl}?q=${encodeURIComponent(search.value.trim())}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok || mine !== asked) return;
      const { people } = await response.json();
      select.replaceChildren(placeholder);
      for (const person of people) select.add(new Option(person.name, String(person.id)));
      if (people.length === 1) select.value = String(people[0].id);
    }, 200);
  });
}

foldOnPhones();
selectAll();
peoplePicker();
