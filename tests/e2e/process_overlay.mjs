// Bob the supervisor opens the repair template's diagram from the analytics pages: each
// step carries its average time and breaches as a badge, breached steps are marked.
// Usage: BASE_URL=... RANGE="from=...&to=..." node tests/e2e/process_overlay.mjs
import { axeProblems, base, launch, loggedIn, shot } from "./lib.mjs";

const browser = await launch();
const result = {};
try {
  const page = await loggedIn(browser, "bob");
  await page.goto(`${base}/analytics/templates/repair/?${process.env.RANGE}`);
  await page.waitForSelector(".fd-diagram-ready");
  result.badges = await page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll(".djs-overlays[data-container-id]")]
        .filter((o) => o.querySelector(".fd-diagram-badge"))
        .map((o) => [o.dataset.containerId, o.textContent.trim()]),
    ),
  );
  result.axe = await axeProblems(page);
  await shot(page, "analytics-template-diagram");
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
