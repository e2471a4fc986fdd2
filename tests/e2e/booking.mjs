// A customer picks a slot on the portal at 375 px (Chinese, browser in Tokyo time), while
// another customer (English) who had the same slot on screen gets the clear "taken"
// answer; then Alice sees the appointment on the ticket page.
// Usage: BASE_URL=… TRACK_A=/t/<token>/ TRACK_B=/t/<token>/ TICKET=SV-… node tests/e2e/booking.mjs
import { axeProblems, base, launch, loggedIn, overflowsSideways, shot } from "./lib.mjs";

const result = {};
const browser = await launch();
const phone = (locale, timezoneId) => browser.newContext({
  locale, timezoneId, viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
});
try {
  const other = await (await phone("en", "Asia/Shanghai")).newPage();
  await other.goto(`${base}${process.env.TRACK_B}?lang=en`);
  await other.waitForSelector("#appointment input[name=slot]");

  const page = await (await phone("zh-CN", "Asia/Tokyo")).newPage();
  await page.goto(`${base}${process.env.TRACK_A}?lang=zh-hans`);
  await page.waitForFunction(() => document.querySelector("[data-portal-zone]")?.dataset.portalZone === "Asia/Tokyo");
  result.zoneNote = (await page.textContent("#appointment .fd-zone")).trim();
  result.askZh = (await page.textContent("#appointment .fd-waiting")).trim();
  result.firstDayZh = (await page.textContent("#appointment legend")).trim();
  // The second day offered is never today: its first time is the opening hour, whatever
  // the hour the test runs at (today's earlier times are gone).
  const laterDay = page.locator("#appointment fieldset.fd-slots").nth(1);
  result.openingSlotZh = (await laterDay.locator("label.fd-slot").first().innerText()).trim();
  result.daysShownZh = await page.locator("#appointment fieldset.fd-slots:visible").count();
  result.moreDaysZh = (await page.textContent("#appointment .fd-more-days > summary")).trim();
  result.pageHeightZh = await page.evaluate(() => document.documentElement.scrollHeight);
  result.axeZh = await axeProblems(page);
  result.overflowZh = await overflowsSideways(page);
  await shot(page, "booking-portal-375-zh");
  const slot = await laterDay.locator("input[name=slot]").first().getAttribute("value");
  await laterDay.locator("label.fd-slot").first().click();
  await Promise.all([page.waitForURL(/#appointment$/), page.click("#appointment button[type=submit]")]);
  result.bookedZh = (await page.textContent(".fd-appointment-live")).trim();
  await shot(page, "booking-portal-375-zh-booked");

  await other.check(`input[name=slot][value="${slot}"]`);
  const [answer] = await Promise.all([
    other.waitForNavigation(), other.click("#appointment button[type=submit]"),
  ]);
  result.takenStatus = answer.status();
  result.takenText = (await other.textContent(".fd-error")).trim();
  result.axeEn = await axeProblems(other);
  result.overflowEn = await overflowsSideways(other);
  await shot(other, "booking-portal-375-en-taken");

  const agent = await loggedIn(browser, "alice");
  await agent.goto(`${base}/tickets/${process.env.TICKET}/`);
  result.agentSees = (await agent.textContent("#appointment")).replace(/\s+/g, " ").trim();
  result.agentTimeline = (await agent.textContent(".fd-timeline")).replace(/\s+/g, " ");
  result.axeAgent = await axeProblems(agent);
  await shot(agent, "booking-ticket-page");
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
