// The customer portal on a 375 px phone screen, in Chinese then English: reply with a
// photo, check nothing overflows sideways, screenshot.
// Usage: BASE_URL=… TRACK=/t/<token>/ SHOTS=var/e2e node tests/e2e/portal.mjs
import { chromium } from "playwright-core";
import { execSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const base = process.env.BASE_URL;
const track = process.env.TRACK;
const shots = process.env.SHOTS || "var/e2e";
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || execSync("which chromium").toString().trim();
const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"],
});
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64");
const result = {};
try {
  const context = await browser.newContext({
    viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  const page = await context.newPage();
  await page.goto(`${base}${track}?lang=zh-hans`);
  result.statusZh = (await page.textContent(".fd-status-words")).trim();
  await page.fill("#fd-reply", "还是有点漏水\n照片见附件");
  await page.setInputFiles("#fd-files", { name: "leak.png", mimeType: "image/png", buffer: PNG });
  await page.click("#conversation button[type=submit]");
  await page.waitForURL(/#conversation$/);
  result.lastMessage = (await page.locator(".fd-msg-mine").last().innerText()).trim();
  result.overflowZh = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.screenshot({ path: `${shots}/portal-375-zh.png`, fullPage: true });
  await page.goto(`${base}${track}?lang=en`);
  result.statusEn = (await page.textContent(".fd-status-words")).trim();
  result.overflowEn = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.screenshot({ path: `${shots}/portal-375-en.png`, fullPage: true });
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
