// A process owner edits the triage table in the dmn-js editor, adds a test row, runs it (fails),
// fixes the cell, runs it (passes), publishes, then rolls back to version 1.
// Usage: BASE_URL=... LOCALE=en|zh-CN SHOTS=var/e2e node tests/e2e/decision_authoring.mjs
import { axeProblems, base, launch, loggedIn, overflowsSideways, shot } from "./lib.mjs";

const locale = process.env.LOCALE || "en";
const tag = locale === "en" ? "en" : "zh";
const text = (page, selector) => page.locator(selector).first().innerText();
const result = { axe: {}, overflow: {}, pageOverflow: {}, consoleErrors: [] };

// The decision pages' own content at 375 px (wide tables scroll inside their boxes); the
// shared header is measured apart, as pageOverflow.
const contentOverflows = (page) =>
  page.evaluate(() => document.querySelector("main").scrollWidth > window.innerWidth + 1);

async function check(page, name) {
  result.axe[name] = await axeProblems(page);
  await shot(page, `decision-${name}-${tag}`);
}

async function setCell(page, elementId, value) {
  const cell = page.locator(`[data-element-id="${elementId}"] [contenteditable]`);
  await cell.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type(value);
  await page.locator("h1").click();  // leave the cell: dmn-js commits the edit
}

async function runRows(page) {
  const before = await page.locator("[data-results]").innerHTML();
  await page.click("[data-run]");
  await page.waitForFunction(
    (old) => document.querySelector("[data-results]").innerHTML !== old, before);
  return (await text(page, "[data-results]")).replace(/\s+/g, " ").trim();
}

const browser = await launch();
try {
  const page = await loggedIn(browser, "olga", { locale });
  page.on("console", (m) => m.type() === "error" && result.consoleErrors.push(`${page.url()}: ${m.text().slice(0, 200)}`));
  page.on("pageerror", (e) => result.consoleErrors.push(String(e).slice(0, 300)));

  await page.goto(`${base}/decisions/`);
  result.listTriageRow = (await text(page, "tr:has(a[href='/decisions/triage/'])")).replace(/\s+/g, " ");
  await check(page, "list");

  await page.click("a[href='/decisions/triage/']");
  await page.click("form[action$='/draft/'] button");
  await page.waitForSelector(".fd-dmn-ready", { timeout: 20000 });
  result.draftUrl = page.url();

  await page.click("[data-add-row]");
  const row = page.locator("#fd-test-rows tbody tr").last();
  await row.locator("[data-part=name]").fill("VIP TV");
  await row.locator("[data-key=customer_tier]").fill("VIP");
  await row.locator("[data-key=category]").fill("tv");
  await row.locator("[data-part=expected][data-key=priority]").fill("3");
  await row.locator("[data-part=expected][data-key=sla_hours]").fill("2");
  result.firstRun = await runRows(page);
  await check(page, "draft-failing");

  await setCell(page, "triage_r1_o1", "4 +");  // not FEEL: the server refuses to store it
  await page.click("[data-save]");
  await page.waitForSelector("#fd-dmn-status.fd-error li");
  result.saveError = await text(page, "#fd-dmn-status");

  await setCell(page, "triage_r1_o1", "3");
  result.secondRun = await runRows(page);
  await check(page, "draft-passing");

  await Promise.all([page.waitForNavigation(), page.click("form[data-publish] button")]);
  result.afterPublish = {
    messages: await text(page, ".fd-messages"),
    live: await text(page, ".fd-live-line"),
    history: (await text(page, ".fd-timeline")).replace(/\s+/g, " "),
    diff: (await text(page, ".fd-diff")).replace(/\s+/g, " "),
  };
  await check(page, "published");

  await Promise.all([
    page.waitForNavigation(),
    page.click("tr[data-version='1'] form[action$='/rollback'] button"),
  ]);
  result.afterRollback = {
    messages: await text(page, ".fd-messages"),
    live: await text(page, ".fd-live-line"),
    history: (await text(page, ".fd-timeline")).replace(/\s+/g, " "),
  };
  await check(page, "rolled-back");

  const phone = await loggedIn(browser, "olga", { locale, width: 375, height: 800 });
  for (const [name, path] of [["list", "/decisions/"], ["page", "/decisions/triage/"]]) {
    await phone.goto(`${base}${path}`);
    result.overflow[name] = await contentOverflows(phone);
    result.pageOverflow[name] = await overflowsSideways(phone);
  }
  await phone.goto(result.draftUrl.replace(/v\d+\/$/, ""));
  await phone.click("form[action$='/draft/'] button");
  await phone.waitForSelector(".fd-dmn-ready", { timeout: 20000 });
  result.overflow.draft = await contentOverflows(phone);
  result.pageOverflow.draft = await overflowsSideways(phone);
  await shot(phone, `decision-draft-phone-${tag}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
