// Ann the analyst browses the template library (English and Chinese), filters it by
// industry, copies the food-safety template into a process of her own, runs its scenarios
// in the modeler and publishes it.
// Usage: BASE_URL=http://127.0.0.1:8081 SHOTS=var/e2e node tests/e2e/library.mjs
import {
  axeProblems,
  base,
  launch,
  loggedIn,
  modelerClick as click,
  modelerStatus as status,
  overflowsSideways,
  shot,
} from "./lib.mjs";

const browser = await launch();
const result = {};

// The names a diagram draws for a step, a lane and the pool (bpmn-js: <tspan>s in the element).
async function drawnNames(page, within) {
  const names = {};
  for (const [name, id] of [["step", "respond"], ["lane", "Lane_store"], ["pool", "Participant_food_safety"]]) {
    names[name] = await page.$eval(`${within} [data-element-id="${id}"]`, (e) =>
      Array.from(e.querySelectorAll("text tspan")).map((t) => t.textContent.trim()).join(" ").trim());
  }
  return names;
}

async function browse(lang, key) {
  const out = {};
  const page = await loggedIn(browser, "ann", { locale: lang });
  await page.setExtraHTTPHeaders({ "Accept-Language": lang === "en" ? "en" : "zh-CN,zh;q=0.9" });
  await page.goto(`${base}/processes/library/`);
  out.heading = (await page.textContent("h1")).trim();
  out.cards = await page.locator(".fd-template").count();
  await page.waitForFunction(() => document.querySelectorAll(".fd-diagram-ready").length === document.querySelectorAll(".fd-template").length, null, { timeout: 60000 });
  out.axe = await axeProblems(page);
  await shot(page, `library-${lang}`);

  await Promise.all([page.waitForURL(/industry=restaurant/), page.selectOption('select[name="industry"]', "restaurant")]);
  await page.waitForSelector(".fd-template .fd-diagram-ready");
  out.filtered = await page.locator(".fd-template h2").allTextContents();
  out.tags = await page.locator('.fd-template[data-key="food_safety"] .fd-tags li').allTextContents();
  out.drawnShapes = await page.locator('.fd-template[data-key="food_safety"] .djs-shape').count();
  out.drawnNames = await drawnNames(page, '.fd-template[data-key="food_safety"]');

  await page.fill('.fd-template[data-key="food_safety"] input[name="key"]', key);
  await Promise.all([page.waitForURL(/\/processes\/drafts\/\d+\//), page.click('.fd-template[data-key="food_safety"] button[type="submit"]')]);
  await page.waitForSelector(".fd-modeler-ready");
  await click(page, '[data-action="scenarios"]');
  out.scenarioStatus = await status(page, "ok");
  out.results = await page.locator("[data-results] li").allTextContents();
  await click(page, '[data-action="publish"]');
  out.publishStatus = await status(page, "ok");
  await page.goto(`${base}/processes/${key}/v1/`);
  await page.waitForSelector(".fd-diagram-ready", { timeout: 60000 });
  out.versionNames = await drawnNames(page, "[data-bpmn-viewer]");
  out.versionHeading = (await page.textContent("h1")).replace(/\s+/g, " ").trim();
  await shot(page, `library-copied-${lang}`);

  const narrow = await loggedIn(browser, "ann", { locale: lang, width: 375, height: 800 });
  await narrow.setExtraHTTPHeaders({ "Accept-Language": lang === "en" ? "en" : "zh-CN,zh;q=0.9" });
  await narrow.goto(`${base}/processes/library/?industry=retail`);
  await narrow.waitForSelector(".fd-diagram-ready");
  out.narrowOverflows = await overflowsSideways(narrow);
  await shot(narrow, `library-375-${lang}`);
  return out;
}

try {
  result.en = await browse("en", "canteen_complaint");
  result.zh = await browse("zh-CN", "canteen_complaint_cn");
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
