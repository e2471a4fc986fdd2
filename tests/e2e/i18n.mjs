// Chinese and English in Chromium: a Chinese browser gets Chinese pages, the header's
// switcher turns them English for good (across pages and log-ins), and the new-ticket form's
// address narrows province → city → district on a phone.
// Usage: BASE_URL=http://127.0.0.1:8081 SHOTS=var/e2e node tests/e2e/i18n.mjs
import { axeProblems, base, launch, loggedIn, overflowsSideways, shot } from "./lib.mjs";

const browser = await launch();
const result = { errors: [] };
const text = async (page, selector) => (await page.textContent(selector)).trim();

function watch(page) {
  page.on("pageerror", (e) => result.errors.push(String(e)));
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) result.errors.push(`${r.status()} ${r.url()}`);
  });
}

try {
  // A visitor with a Chinese browser.
  const visitor = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  watch(visitor);
  await visitor.goto(`${base}/login/`);
  result.loginLang = await visitor.getAttribute("html", "lang");
  result.loginTitle = await text(visitor, "h1");
  result.loginAxe = await axeProblems(visitor);
  await shot(visitor, "i18n-login-zh");

  // alice, Chinese browser, no language of her own yet: her worklist is Chinese.
  const alice = await loggedIn(browser, "alice", { locale: "zh-CN" });
  watch(alice);
  await alice.goto(`${base}/tasks/`);
  result.worklistNav = await text(alice, "header nav a");
  result.worklistAxe = await axeProblems(alice);
  await shot(alice, "i18n-worklist-zh");

  // She switches to English: the same page comes back in English, and other pages follow.
  await Promise.all([alice.waitForNavigation(), alice.click("form.fd-lang button[value=en]")]);
  result.switchedUrl = new URL(alice.url()).pathname;
  result.switchedNav = await text(alice, "header nav a");
  await alice.goto(`${base}/notify/`);
  result.otherPageTitle = await text(alice, "h1");
  result.otherPageLang = await alice.getAttribute("html", "lang");
  await shot(alice, "i18n-notifications-en");
  // ... and a new log-in from the same Chinese browser keeps her choice.
  const again = await loggedIn(browser, "alice", { locale: "zh-CN" });
  await again.goto(`${base}/tasks/`);
  result.nextLoginNav = await text(again, "header nav a");

  // bob raises a ticket on a phone, in Chinese, with the service address cascade.
  const bob = await loggedIn(browser, "bob", { locale: "zh-CN", width: 375, height: 800 });
  watch(bob);
  await bob.goto(`${base}/tickets/new/repair/`);
  result.formTitle = await text(bob, ".fd-form-title");
  result.addressLegend = await text(bob, ".fd-field-address legend");
  const province = "[name='service_address.province']";
  const city = "[name='service_address.city']";
  const district = "[name='service_address.district']";
  await bob.selectOption(province, "广东省");
  await bob.waitForFunction((s) => document.querySelector(s).options.length > 2, city);
  result.cities = await bob.$$eval(`${city} option`, (os) => os.map((o) => o.value).filter(Boolean));
  await bob.selectOption(city, "广州市");
  await bob.waitForFunction((s) => document.querySelector(s).options.length > 2, district);
  result.districts = await bob.$$eval(`${district} option`, (os) => os.map((o) => o.value).filter(Boolean));
  await bob.selectOption(district, "天河区");
  await bob.fill("[name='service_address.street']", "天河路 385 号");
  await bob.fill("[name=customer_name]", "王芳");
  await bob.fill("[name=customer_phone]", "13812341234");
  await bob.selectOption("[name=category]", "fridge");
  await bob.selectOption("[name=region]", "tier1");
  result.categoryLabel = await text(bob, "[name=category] option:checked");
  result.formOverflows = await overflowsSideways(bob);
  result.formAxe = await axeProblems(bob);
  await shot(bob, "i18n-new-ticket-address-375");
  await Promise.all([bob.waitForNavigation(), bob.click("form.fd-form button.fd-submit")]);
  result.raisedUrl = new URL(bob.url()).pathname;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
