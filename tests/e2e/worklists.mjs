// Alice the agent works her group's queue: searches, filters, bulk-assigns two tickets
// and reads the result per ticket, sees the rows refresh without a reload, opens a
// ticket; the same in Chinese; the worklist at 375 px; axe-core on every page.
// Usage: BASE_URL=… SHOTS=var/e2e node tests/e2e/worklists.mjs
import { axeProblems, base, launch, loggedIn, overflowsSideways, shot } from "./lib.mjs";

const rows = "#worklist-rows tr.fd-row";

async function rowNumbers(page) {
  return page.$$eval(`${rows} .fd-ticket-cell a`, (links) => links.map((a) => a.textContent.trim()));
}

// Search, narrow by priority, select every row, assign them to the person found by name.
async function searchFilterAssign(page, { words, priority, person, tag }) {
  await page.goto(`${base}/tasks/?tab=groups`);
  const found = {};
  await page.fill("#id_q", words);
  await Promise.all([page.waitForNavigation(), page.click(".fd-search button[type=submit]")]);
  found.searched = await rowNumbers(page);
  found.panelOpen = await page.$eval(".fd-filter-panel", (panel) => panel.open);  // desktop: open
  if (!(await page.$eval(".fd-filter-panel", (panel) => panel.open))) {
    await page.click(".fd-filter-panel summary");
  }
  await page.selectOption("#id_priority", priority);
  await Promise.all([page.waitForNavigation(), page.click(".fd-filter-actions button")]);
  found.filtered = await rowNumbers(page);
  found.summary = (await page.textContent(".fd-filter-panel summary")).trim();
  found.url = page.url();
  await shot(page, `worklist-filtered${tag}`);
  found.axeFiltered = await axeProblems(page);
  await page.check(".fd-select-all");
  await page.fill(".fd-people-search", person);
  await page.waitForFunction(
    () => document.querySelectorAll("#bulk_to_user option").length === 2
      && document.querySelector("#bulk_to_user").value !== "",
  );
  found.picked = await page.$eval("#bulk_to_user", (s) => s.selectedOptions[0].textContent);
  await Promise.all([page.waitForNavigation(), page.click("button[name=action][value=assign]")]);
  found.results = await page.$$eval(".fd-messages li", (items) => items.map((li) => li.textContent.trim()));
  found.afterUrl = page.url();
  found.afterRows = await page.locator(rows).count();
  await shot(page, `worklist-bulk-results${tag}`);
  found.axeResults = await axeProblems(page);
  return found;
}

const result = {};
const browser = await launch();
try {
  const alice = await loggedIn(browser, "alice");
  result.en = await searchFilterAssign(alice, {
    words: "compressor", priority: "2", person: "Zhang", tag: "",
  });

  // Live refresh: bob claims a queued ticket; the rows and the tab's count follow without
  // reloading the page (the counts load once the page is there).
  await alice.goto(`${base}/tasks/?tab=groups&q=queue-check`);
  await alice.evaluate(() => { window.notReloaded = true; });
  result.queueBefore = await rowNumbers(alice);
  const count = ".fd-tabs a[aria-current=page] .fd-count";
  await alice.waitForSelector(count);
  result.countBefore = Number(await alice.textContent(count));
  const bob = await loggedIn(browser, "bob");
  await bob.goto(`${base}/tasks/?tab=groups&q=queue-check`);
  await bob.check(`${rows} input[name=task] >> nth=0`);
  await Promise.all([bob.waitForNavigation(), bob.click("button[name=action][value=claim]")]);
  result.bobClaimed = await bob.$$eval(".fd-messages li", (items) => items.map((li) => li.textContent.trim()));
  await alice.evaluate(() => document.body.dispatchEvent(new CustomEvent("notify-message")));
  await alice.waitForFunction(
    (n) => document.querySelectorAll("#worklist-rows tr.fd-row").length === n - 1,
    result.queueBefore.length,
  );
  result.queueAfter = await rowNumbers(alice);
  await alice.waitForFunction(
    ([selector, n]) => Number(document.querySelector(selector)?.textContent) === n - 1,
    [count, result.countBefore],
  );
  result.countAfter = Number(await alice.textContent(count));
  result.notReloaded = await alice.evaluate(() => window.notReloaded === true);

  await shot(alice, "worklist-refreshed");
  await Promise.all([alice.waitForNavigation(), alice.click(`${rows} .fd-ticket-cell a >> nth=0`)]);
  result.openedTitle = (await alice.textContent("h1")).trim();
  result.openedUrl = alice.url();

  // Raising a ticket's priority re-plans its step's due time; the timeline says both.
  await alice.goto(`${base}/tasks/?tab=groups&q=Cooler`);
  await alice.check(`${rows} input[name=task] >> nth=0`);
  await alice.selectOption("#bulk_priority", "3");
  await Promise.all([alice.waitForNavigation(), alice.click("button[name=action][value=priority]")]);
  result.raised = await alice.$$eval(".fd-messages li", (items) => items.map((li) => li.textContent.trim()));
  result.dueAfter = await alice.$eval(`${rows} td[data-label] time`, (t) => t.getAttribute("datetime"));
  await Promise.all([alice.waitForNavigation(), alice.click(`${rows} .fd-ticket-cell a >> nth=0`)]);
  result.raisedLine = await alice.$$eval(".fd-timeline li", (items) =>
    items.map((li) => li.textContent.replace(/\s+/g, " ").trim()).filter((t) => t.includes("priority")));
  // desk.bpmn has no diagram layout: the viewer lays it out rather than give up.
  await alice.waitForSelector(".fd-diagram-ready, .fd-diagram-failed", { timeout: 20000 });
  result.unlaidDiagram = {
    ready: (await alice.locator(".fd-diagram-ready").count()) === 1,
    active: await alice.locator('.fd-diagram [data-element-id="answer"].fd-mark-active').count(),
  };
  await shot(alice, "ticket-priority-raised");

  const zh = await loggedIn(browser, "alice", { locale: "zh-CN" });
  result.zh = await searchFilterAssign(zh, {
    words: "压缩机", priority: "3", person: "Zhang", tag: "-zh",
  });
  result.zh.heading = (await zh.textContent("h1")).trim();
  result.zh.tabs = await zh.$$eval(".fd-tabs a", (links) => links.map((a) => a.textContent.trim()));

  for (const [name, locale] of [["mobile", "en"], ["mobile-zh", "zh-CN"]]) {
    const phone = await loggedIn(browser, "alice", { locale, width: 375, height: 800 });
    await phone.goto(`${base}/tasks/?tab=groups&q=queue-check&priority=1`);
    // Folded on a phone: the summary counts the filters set, the first card is in view.
    const folded = {
      filtersOpen: await phone.$eval(".fd-filter-panel", (panel) => panel.open),
      bulkOpen: await phone.$eval(".fd-bulk-panel", (panel) => panel.open),
      summary: (await phone.textContent(".fd-filter-panel summary")).trim(),
      firstCardTop: await phone.$eval(rows, (row) => row.getBoundingClientRect().top),
    };
    // Each card value in a column of its own, right of its label, never run into it.
    const cells = await phone.$$eval(`${rows}:first-of-type td[data-label]`, (tds) => tds.map((td) => {
      const range = document.createRange();
      range.selectNodeContents(td);
      const boxes = Array.from(range.getClientRects()).filter((r) => r.width > 0);
      const value = Math.min(...boxes.map((r) => r.left));
      return { label: td.dataset.label, gap: value - td.getBoundingClientRect().left, text: td.textContent.trim() };
    }));
    if (!(await phone.$eval(".fd-filter-panel", (panel) => panel.open))) {
      await phone.click(".fd-filter-panel summary");
    }
    result[name] = {
      folded,
      cells,
      rows: await phone.locator(rows).count(),
      overflows: await overflowsSideways(phone),
      axe: await axeProblems(phone),
      labelled: await phone.$$eval(".fd-filters select, .fd-filters input:not([type=hidden])",
        (fields) => fields.filter((f) => !f.labels || f.labels.length === 0).map((f) => f.name)),
    };
    await shot(phone, `worklist-${name}`);
    await phone.goto(`${base}/tickets/?q=compressor`);
    result[name].listOverflows = await overflowsSideways(phone);
    result[name].listAxe = await axeProblems(phone);
    await shot(phone, `ticket-list-${name}`);
  }

  // Signed out in another tab: the next refresh takes the page to the login page (and
  // back to this list after), not the login page into the rows.
  const left = await loggedIn(browser, "alice");
  await left.goto(`${base}/tasks/?tab=groups&sort=due`);
  const other = await left.context().newPage();
  await other.goto(`${base}/tasks/`);
  await Promise.all([other.waitForNavigation(), other.click("form.fd-user button[type=submit]")]);
  await left.evaluate(() => document.body.dispatchEvent(new CustomEvent("notify-message")));
  await left.waitForURL(/\/login\//);
  result.signedOut = { url: left.url(), loginForm: await left.locator("#id_username").count() };
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
