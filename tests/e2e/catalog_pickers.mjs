// A form's part and warehouse fields in Chromium, in Chinese: alice finds the part by a word
// of its name and the warehouse by its city, sends the form, and the ticket page reads both
// by name. Usage: BASE_URL=… TASK=/tasks/N/ TICKET=/tickets/…/ node tests/e2e/catalog_pickers.mjs
import { axeProblems, base, launch, loggedIn, shot } from "./lib.mjs";

const browser = await launch();
const alice = await loggedIn(browser, "alice", { locale: "zh-CN" });
await alice.goto(`${base}${process.env.TASK}`);
const result = { axe: await axeProblems(alice) };
await alice.fill("#fd-part", "刹车");
await alice.click('[role=option]:has-text("前刹车片")');
await alice.fill("#fd-warehouse", "上海");
await alice.click('[role=option]:has-text("上海中心仓")');
result.values = [await alice.inputValue("input[name=part]"), await alice.inputValue("input[name=warehouse]")];
result.shown = [await alice.inputValue("#fd-part"), await alice.inputValue("#fd-warehouse")];
await shot(alice, "catalog-pickers-zh");
await Promise.all([alice.waitForNavigation(), alice.click("button.fd-submit")]);
await alice.goto(`${base}${process.env.TICKET}`);
result.details = (await alice.textContent(".fd-details")).replace(/\s+/g, " ");
await browser.close();
console.log(JSON.stringify(result));
