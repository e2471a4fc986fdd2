// Drives Debian's Chromium through the workbench as alice the agent would.
// Usage: BASE_URL=http://127.0.0.1:8081 SHOTS=var/e2e node tests/e2e/workbench.mjs
import { chromium } from "playwright-core";
import { execSync } from "node:child_process";
import { mkdirSync } from "node:fs";

const base = process.env.BASE_URL;
const shots = process.env.SHOTS || "var/e2e";
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || execSync("which chromium").toString().trim();
const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"],
});
const result = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/tasks/`);
  await page.fill("#id_username", "alice");
  await page.fill("#id_password", "pw");
  await page.click("button[type=submit]");
  await page.waitForURL(`${base}/tasks/`);

  await page.goto(`${base}/tickets/new/repair/`);
  await page.fill("[name=customer_name]", "Wang Fang");
  await page.fill("[name=customer_phone]", "call me later");
  await page.selectOption("[name=category]", "air conditioner");
  await page.selectOption("[name=region]", "tier1");
  await page.selectOption("[name=customer_tier]", "VIP");
  await page.fill("[name=description]", "空调不制冷 / no cooling");
  await page.click("button.fd-submit");  // the server refuses the phone, keeps the rest
  result.errorSummary = (await page.textContent(".fd-error-summary")).trim();
  result.keptName = await page.inputValue("[name=customer_name]");
  await page.screenshot({ path: `${shots}/new-ticket-error.png`, fullPage: true });
  await page.fill("[name=customer_phone]", "13812341234");
  await page.click("button.fd-submit");
  await page.waitForURL(/\/tickets\/SV-/);
  result.number = (await page.textContent("h1")).trim().split(" ")[0];
  result.ticketPriority = (await page.textContent(".fd-meta .fd-prio")).trim();

  await page.click(".fd-step h3 a:has-text(\"Accept ticket\")");
  await page.waitForURL(/\/tasks\/\d+\//);
  await page.check("input[type=checkbox][name=accepted]");
  await page.fill("[name=note]", "morning visit please");
  await page.click("button.fd-submit");
  await page.waitForURL(/\/tickets\/SV-/);
  result.openSteps = await page.locator(".fd-step h3 >> text=Schedule the visit").count();
  await page.screenshot({ path: `${shots}/ticket.png`, fullPage: true });

  await page.goto(`${base}/tasks/`);
  result.worklistRows = await page.locator("table.fd-table tbody tr").count();
  await page.screenshot({ path: `${shots}/worklist.png`, fullPage: true });
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
