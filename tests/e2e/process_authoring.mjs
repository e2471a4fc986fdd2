// Ann the analyst edits the repair process in the browser's modeler, in English and in
// Chinese: she deletes the flow out of the last task, saves and sees the problem pinned
// on the diagram, undoes it, gives the step candidate groups in the properties panel,
// runs the scenarios, publishes, and finds the new version in the list.
// Usage: BASE_URL=http://127.0.0.1:8081 SHOTS=var/e2e node tests/e2e/process_authoring.mjs
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

async function author(lang, groups) {
  const out = {};
  const page = await loggedIn(browser, "ann", { locale: lang });
  await page.setExtraHTTPHeaders({ "Accept-Language": lang === "en" ? "en" : "zh-CN,zh;q=0.9" });

  await page.goto(`${base}/processes/`);
  out.listHeading = (await page.textContent("h1")).trim();
  out.listAxe = await axeProblems(page);
  await shot(page, `processes-${lang}`);
  await page.click('tr[data-key="repair"] td a');
  await page.waitForSelector(".fd-diagram-ready");
  out.versionHeading = (await page.textContent("h1")).trim();
  out.drawnShapes = await page.locator(".djs-shape").count();
  out.versionAxe = await axeProblems(page);
  await shot(page, `process-version-${lang}`);

  await Promise.all([page.waitForURL(/\/processes\/drafts\/\d+\//), page.click('form[action$="/edit/"] button')]);
  await page.waitForSelector(".fd-modeler-ready");
  out.draftHeading = (await page.textContent("h1")).trim();
  out.paletteTitle = await page.getAttribute('.djs-palette [data-action="create.start-event"]', "aria-label");
  // The opened diagram lies beside the palette, not under it.
  out.underPalette = await page.evaluate(() => {
    const palette = document.querySelector(".djs-palette").getBoundingClientRect();
    return [...document.querySelectorAll(".djs-shape")]
      .map((shape) => [shape.dataset.elementId, shape.getBoundingClientRect()])
      .filter(([, box]) => box.width && box.left < palette.right && box.top < palette.bottom)
      .map(([id]) => id);
  });
  // Delete the flow out of "Confirm with the customer" with the context pad's bin.
  const flow = await page.locator('.djs-connection[data-element-id="f_confirm_done"]').first().boundingBox();
  await page.mouse.click(flow.x + flow.width / 2, flow.y + flow.height / 2);
  await page.click('.djs-context-pad .entry[data-action="delete"]');
  await click(page, '[data-action="save"]');
  out.saveStatus = await status(page, "error");
  out.pinnedOn = await page.evaluate(() =>
    [...document.querySelectorAll(".djs-element.fd-problem")].map((e) => e.dataset.elementId).sort(),
  );
  out.pinNotes = await page.locator(".djs-overlay .fd-problem-note").allTextContents();
  out.problemList = await page.locator("[data-problems] li").allTextContents();
  await shot(page, `modeler-problem-${lang}`);

  await page.click('[data-action="undo"]');
  await page.locator('.djs-shape[data-element-id="confirm"]').first().click();
  out.panelType = (await page.textContent(".bio-properties-panel-header-type")).trim();
  await page.click('[data-group-id="group-fd-people"] .bio-properties-panel-group-header');
  await page.fill("#bio-properties-panel-fd-candidateGroups", groups);
  const chinese = "#bio-properties-panel-fd-instructions-zh-hans";
  if (!(await page.isVisible(chinese))) await page.click('[data-group-id="group-fd-form"] .bio-properties-panel-group-header');
  out.instructionsZhLabel = (await page.textContent(`label[for="${chinese.slice(1)}"]`)).trim();
  await page.fill(chinese, "与客户确认维修结果。");
  await page.waitForTimeout(600); // the panel writes after its debounce
  await click(page, '[data-action="scenarios"]');
  out.scenarioStatus = await status(page, "ok");
  out.results = await page.locator("[data-results] li").allTextContents();
  out.pinsAfterFix = await page.locator(".djs-element.fd-problem").count();
  await shot(page, `modeler-scenarios-${lang}`);

  await click(page, '[data-action="publish"]');
  out.publishStatus = await status(page, "ok");
  await page.goto(`${base}/processes/`);
  out.listRow = (await page.textContent('tr[data-key="repair"]')).replace(/\s+/g, " ").trim();
  await shot(page, `processes-published-${lang}`);

  const phone = await loggedIn(browser, "ann", { locale: lang, width: 375, height: 800 });
  await phone.setExtraHTTPHeaders({ "Accept-Language": lang === "en" ? "en" : "zh-CN,zh;q=0.9" });
  await phone.goto(`${base}/processes/`);
  out.listOverflows = await overflowsSideways(phone);
  await phone.goto(`${base}/processes/repair/v1/`);
  await phone.waitForSelector(".fd-diagram-ready");
  out.versionOverflows = await overflowsSideways(phone);
  await shot(phone, `process-version-375-${lang}`);
  return out;
}

try {
  result.en = await author("en", "agents");
  result.zh = await author("zh-CN", "agents,dispatchers");
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
