// The customer's side of the conversation story (tests/e2e/test_conversation_story.py),
// one step per run on a 375 px phone in English:
//   STEP=submit  fill the public web form at FORM, print the ticket number and link;
//   STEP=reply   open the tracking link TRACK (from the mail), answer in the reply box;
//   STEP=rate    open TRACK again, rate RATING stars with a comment.
// Prints one JSON line with what the page showed.
import { chromium } from "playwright-core";
import { execSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const { BASE_URL: base, STEP: step, FORM: form, TRACK: track } = process.env;
const shots = process.env.SHOTS || "var/e2e";
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || execSync("which chromium").toString().trim();
const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"],
});

const texts = (page, selector) =>
  page.locator(selector).evaluateAll((nodes) => nodes.map((n) => n.innerText.trim()));
const overflow = (page) => page.evaluate(
  () => document.documentElement.scrollWidth - document.documentElement.clientWidth);

const steps = {
  async submit(page) {
    await page.goto(`${base}${form}`);
    await page.fill("#id_name", "Wang Fang");
    await page.fill("#id_phone", "139 0000 1111");
    await page.fill("#id_email", "wang.fang@example.cn");
    await page.fill("#id_title", "Printer jams on every page");
    await page.fill("#id_description", "Since Monday the office printer jams on every page.");
    await page.click("form button[type=submit]");
    await page.waitForSelector(".fd-ticket-number");
    return {
      number: (await page.textContent(".fd-ticket-number")).trim(),
      link: await page.getAttribute(".fd-tracking-link", "href"),
      overflow: await overflow(page),
    };
  },
  async reply(page) {
    await page.goto(track);
    const before = {
      waiting: (await texts(page, ".fd-waiting")).join(" "),
      thread: await texts(page, "#conversation .fd-msg"),
    };
    await page.fill("#fd-reply", "The label says LaserJet 1020. It is under warranty.");
    await page.click("#conversation button[type=submit]");
    await page.waitForURL(/#conversation$/);
    return { ...before, after: await texts(page, "#conversation .fd-msg"), overflow: await overflow(page) };
  },
  async rate(page) {
    await page.goto(track);
    const status = (await page.textContent(".fd-status-words")).trim();
    await page.check(`#rating input[name=score][value="${process.env.RATING}"]`);
    await page.fill("#fd-rate-comment", "Two days for a paper jam is too slow.");
    await page.click("#rating button[type=submit]");
    await page.waitForURL(/#rating$/);
    await page.screenshot({ path: `${shots}/conversation-rated-375.png`, fullPage: true });
    return { status, rated: (await page.textContent("#rating p")).trim(), overflow: await overflow(page) };
  },
};

let result;
try {
  const context = await browser.newContext({
    viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: "en-US",
  });
  result = await steps[step](await context.newPage());
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
