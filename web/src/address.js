// The address field (templates/forms/widgets/address.html): the cities follow the chosen
// province and the districts the chosen city, read from the same region list the server
// checks against (platform/forms/static/forms/regions-cn.json). Without this script the
// page still works: the server lists every city and, once a city is posted, its districts.
const lists = new Map();

function regions(url) {
  if (!lists.has(url)) lists.set(url, fetch(url).then((response) => response.json()));
  return lists.get(url);
}

// Replace a select's options with `names`, keeping the chosen one when it is still there
// (and choosing the only one when there is just one: a municipality's city).
function fill(select, names) {
  const chosen = names.length === 1 ? names[0] : select.value;
  select.replaceChildren(new Option("—", ""));
  for (const name of names) select.add(new Option(name, name, false, name === chosen));
}

async function wire(box) {
  const [province, city, district] = box.querySelectorAll("select[data-fd-part]");
  const data = await regions(box.dataset.regionsUrl);
  const provinces = new Map(data.provinces.map((p) => [p.name, p]));
  const citiesOf = () => (provinces.get(province.value) || { cities: [] }).cities;
  const required = province.required;

  function syncDistricts() {
    const chosen = citiesOf().find((c) => c.name === city.value);
    const names = chosen ? chosen.districts : [];
    fill(district, names);
    district.required = required && names.length > 0;
  }
  function syncCities() {
    fill(city, citiesOf().map((c) => c.name));
    syncDistricts();
  }
  province.addEventListener("change", syncCities);
  city.addEventListener("change", syncDistricts);
  syncCities();
}

document.querySelectorAll("[data-fd-address]").forEach((box) => {
  wire(box).catch(() => {});  // the server-drawn lists stay as they are
});
