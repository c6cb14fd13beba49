// The `doorman audit --html` page in a real headless browser (issue 12):
// Debian's Chromium driven by playwright-core. scripts/test runs it when
// Chromium is installed (.ci/run installs it) and says it is skipped
// otherwise.
//
//   node tests/browser/audit-page.mjs DOORMAN_BINARY PLAYWRIGHT_CORE_DIR
//
// It audits tests/fixtures/audit/account plus one role whose name is markup
// and a script, writes the JSON and HTML reports under target/browser/, then
// checks that the page loads with no console error, no dialog and no request
// outside the file, that the counts in the DOM match the JSON report, that
// the severity, rule and function filters (driven from the keyboard) show
// exactly the findings the JSON says, and writes a screenshot.
// Ends with the plain "N passed, N failed" line.

import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [doorman, pwDir] = process.argv.slice(2);
if (!doorman || !pwDir) {
  console.error("usage: node tests/browser/audit-page.mjs DOORMAN_BINARY PLAYWRIGHT_CORE_DIR");
  process.exit(2);
}
const require = createRequire(join(resolve(pwDir), "package.json"));
const { chromium } = require("playwright-core");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

const out = resolve("target/browser");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// The account: the fixture, and a hostile role in a dump of its own.
const account = join(out, "account");
cpSync("tests/fixtures/audit/account", account, { recursive: true });
const hostile = `<img src=x onerror="alert(1)"><script>alert(2)</script>'"`;
writeFileSync(
  join(account, "iam", "hostile.json"),
  JSON.stringify({
    RoleDetailList: [
      {
        RoleName: hostile,
        Arn: "arn:aws:iam::111122223333:role/hostile",
        AssumeRolePolicyDocument: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }],
        },
        RolePolicyList: [],
        AttachedManagedPolicies: [],
      },
    ],
  }),
);

function audit(args) {
  try {
    return execFileSync(doorman, ["audit", ...args, account], { encoding: "utf8" });
  } catch (e) {
    if (e.status === 1) return e.stdout; // findings
    throw e;
  }
}
const html = join(out, "audit.html");
const report = JSON.parse(audit(["--format", "json", "--html", html]));

// What the JSON report says.
const all = report.results.flatMap((r) => r.findings.map((f) => ({ ...f, source: r.source })));
const bySeverity = {};
const byRule = {};
for (const f of all) {
  bySeverity[f.severity] = (bySeverity[f.severity] || 0) + 1;
  byRule[f.rule] = (byRule[f.rule] || 0) + 1;
}
const order = ["info", "low", "medium", "high", "critical"];

let passed = 0;
let failed = 0;
function check(what, ok, detail = "") {
  if (ok) {
    passed += 1;
    console.log(`ok      ${what}`);
  } else {
    failed += 1;
    console.log(`FAILED  ${what} ${detail}`);
  }
}

const userDataDir = mkdtempSync(join(tmpdir(), "doorman-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const page = context.pages()[0] || (await context.newPage());
  const consoleErrors = [];
  const dialogs = [];
  const outside = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("dialog", async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith("file:") && !u.startsWith("data:")) outside.push(u);
  });
  await page.goto(pathToFileURL(html).href, { waitUntil: "load" });

  check("page loads with no console error", consoleErrors.length === 0, JSON.stringify(consoleErrors));
  check("no dialog: the hostile role name stayed text", dialogs.length === 0, JSON.stringify(dialogs));
  check("no request leaves the file", outside.length === 0, JSON.stringify(outside));
  const shownName = await page.locator("section[data-kind=role] h2", { hasText: "onerror" }).first().textContent();
  check("the hostile role name is shown as text", shownName === `role ${hostile}`, shownName);
  check("no markup from the account became an element", (await page.locator("img").count()) === 0);

  // Counts in the DOM = the JSON report.
  const total = Number(await page.getAttribute("#total", "data-count"));
  check("total count matches the JSON report", total === all.length, `${total} vs ${all.length}`);
  for (const sev of order) {
    const n = Number(await page.getAttribute(`#count-${sev}`, "data-count"));
    check(`${sev} count matches`, n === (bySeverity[sev] || 0), `${n} vs ${bySeverity[sev] || 0}`);
  }
  const rows = await page.$$eval("#by-rule tr[data-rule]", (trs) =>
    Object.fromEntries(trs.map((t) => [t.dataset.rule, Number(t.dataset.count)])),
  );
  check("counts by rule match", JSON.stringify(rows) === JSON.stringify(Object.fromEntries(Object.entries(byRule).sort())),
    `${JSON.stringify(rows)} vs ${JSON.stringify(byRule)}`);
  const visibleIds = () =>
    page.$$eval(".finding", (fs) => new Set(fs.filter((f) => f.offsetParent !== null).map((f) => f.dataset.id)).size);
  check("every finding is on the page once by id", (await visibleIds()) === all.length);
  check("one card per function", (await page.locator("section[data-kind=function]").count()) ===
    report.results.filter((r) => r.kind === "function").length);

  // Severity filter, from the keyboard: Tab to the select, arrows to change.
  await page.focus("body");
  let focused = "";
  for (let i = 0; i < 40 && focused !== "f-severity"; i += 1) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  }
  check("the severity filter is reachable with Tab", focused === "f-severity", focused);
  for (let i = 0; i < 4; i += 1) await page.keyboard.press("ArrowDown");
  const sevValue = await page.inputValue("#f-severity");
  check("arrow keys choose a severity", sevValue === "critical", sevValue);
  check("minimum severity critical shows exactly the critical findings",
    (await visibleIds()) === (bySeverity.critical || 0), `${await visibleIds()} vs ${bySeverity.critical}`);
  const shown = await page.textContent("#shown");
  check("the live count says how many are shown", shown === `${bySeverity.critical || 0} findings shown`, shown);
  await page.click("#f-reset");
  await page.waitForFunction(() => document.querySelector("#f-severity").value === "info");
  check("clear filters shows everything again", (await visibleIds()) === all.length);

  // Rule filter.
  await page.selectOption("#f-rule", "shared-execution-role");
  check("rule filter shows exactly that rule's findings",
    (await visibleIds()) === (byRule["shared-execution-role"] || 0), String(await visibleIds()));
  await page.selectOption("#f-rule", "");

  // Function filter, typed.
  await page.focus("#f-function");
  await page.keyboard.type("public-hook");
  const cards = await page.$$eval("section.card", (cs) =>
    cs.filter((c) => c.offsetParent !== null).map((c) => c.dataset.function));
  check("function filter leaves only that function's card", JSON.stringify(cards) === '["public-hook"]', JSON.stringify(cards));
  const hook = report.results.find((r) => r.kind === "function" && r.name === "public-hook");
  const role = report.results.find((r) => r.source === hook.role);
  const expected = hook.findings.length + (role ? role.findings.length : 0);
  check("its card shows both doors' findings", (await visibleIds()) === expected, `${await visibleIds()} vs ${expected}`);
  await page.fill("#f-function", "");

  // The explain text is there for every finding.
  const explained = await page.$$eval(".finding", (fs) => fs.every((f) => {
    const s = f.querySelector("details summary");
    return s && s.textContent === `doorman explain ${f.dataset.rule}` && f.querySelector("details pre").textContent.includes("Why it matters");
  }));
  check("every finding carries its fix and its doorman explain page", explained);

  await page.screenshot({ path: join(out, "audit.png"), fullPage: false });
  check("screenshot written to target/browser/audit.png", readFileSync(join(out, "audit.png")).length > 1000);
  check("still no console error after using the filters", consoleErrors.length === 0, JSON.stringify(consoleErrors));
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
