// Pages of wide tables on a 375 px phone, in Chinese: each page's sideways overflow, its
// serious axe-core findings and the text of its main area, as one JSON line.
import { axeProblems, base, launch, loggedIn, overflowsSideways, shot } from "./lib.mjs";

const pages = JSON.parse(process.env.PAGES);
const browser = await launch();
const page = await loggedIn(browser, process.env.USERNAME_E2E, { locale: "zh-CN", width: 375, height: 800 });
const found = {};
for (const [name, path] of Object.entries(pages)) {
  await page.goto(`${base}${path}`);
  await shot(page, `narrow-${name}-375-zh`);
  found[name] = {
    overflow: await overflowsSideways(page),
    axe: await axeProblems(page),
    text: await page.locator("main").innerText(),
  };
}
await browser.close();
console.log(JSON.stringify(found));
