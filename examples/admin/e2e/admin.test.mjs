// The browser test of the admin app: Debian's headless Chromium driven by
// playwright-core through every page of react-admin over the example
// service, with ra-data-simple-rest unmodified. examples/contacts'
// TestAdminInBrowser starts the service and serves dist/, then runs this.
//
// Environment: ADMIN_URL (the app), API_URL (…/api/v1), ADMIN_USERNAME,
// ADMIN_PASSWORD, SCREENSHOTS (a directory for one PNG per page).
// Exit status 0 when every check passed; the first failure is printed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const adminURL = env("ADMIN_URL");
const api = env("API_URL");
const shots = env("SCREENSHOTS");
mkdirSync(shots, { recursive: true });
const timeout = 30_000;

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

// The API, called directly: seeding and checking what the UI did.
let token;
async function call(method, path, body, headers = {}) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: {
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
}
async function must(method, path, body) {
  const r = await call(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

async function seed() {
  const login = await must("POST", "/auth", { username: env("ADMIN_USERNAME"), password: env("ADMIN_PASSWORD") });
  token = login.token;
  // More contacts than the free tier's 8, for pages of 10.
  await must("PUT", `/grant/${login.uid}:contacts`, { value: "100" });
  await new Promise((r) => setTimeout(r, 1500)); // limit_cache_ttl
  const work = (await must("POST", "/category", { name: "Work" })).id;
  const family = (await must("POST", "/category", { name: "Family" })).id;
  const club = (await must("POST", "/list", { name: "Climbing club", description: "Tuesdays", category_id: work, privacy: "member" })).id;
  await must("POST", "/list", { name: "Cousins", description: "Summer", category_id: family, privacy: "member" });
  const types = ["email", "sms", "voice", "messenger"];
  for (let i = 1; i <= 25; i++) {
    const n = String(i).padStart(2, "0");
    await must("POST", "/contact", { info: `c${n}@example.com`, type: types[i % 4], rank: i, privacy: "secret" });
  }
  for (let i = 1; i <= 3; i++) {
    await must("POST", "/message", { subject: `Route ${i}`, content: `Meet at the crag, week ${i}`, list_id: club, privacy: "member" });
  }
  return { club };
}

const rows = (page) => page.locator("table tbody tr");
async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`) });
}
async function notification(page) {
  const n = page.locator(".RaNotification-error, .MuiSnackbarContent-message").first();
  await n.waitFor({ timeout });
  return (await n.textContent()) || "";
}
async function waitRows(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll("table tbody tr").length === n, n, { timeout });
}
// waitFirst waits until the first row's cell col reads text.
async function waitFirst(page, col, text) {
  await page.waitForFunction(([col, text]) => {
    const td = document.querySelectorAll("table tbody tr:first-child td")[col];
    return td && td.textContent.trim() === text;
  }, [col, text], { timeout });
}
async function firstCell(page, col) {
  return (await rows(page).first().locator("td").nth(col).textContent()).trim();
}

let page; // the browser page, for a screenshot of a failure

async function main() {
  const { club } = await seed();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run"],
  });
  try {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(timeout);
    const consoleErrors = [];
    page.on("pageerror", (e) => consoleErrors.push(String(e)));

    // Log in through POST /auth.
    await page.goto(adminURL);
    await page.locator('input[name="username"]').fill(env("ADMIN_USERNAME"));
    await page.locator('input[name="password"]').fill("wrong password");
    await page.locator('button[type="submit"]').click();
    await notification(page); // a refused login is a notification
    await page.locator('input[name="password"]').fill(env("ADMIN_PASSWORD"));
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(/#\/person/, { timeout });
    await rows(page).first().waitFor();
    await shot(page, "people");

    // Contacts: list, page, sort, filter (q and a field).
    await page.goto(`${adminURL}#/contact`);
    await waitRows(page, 10);
    await waitFirst(page, 1, "c01@example.com"); // sorted by info ascending
    await page.getByText("1-10 of 25").waitFor();
    await shot(page, "contacts");
    await page.getByRole("button", { name: /next page/i }).click();
    await page.getByText("11-20 of 25").waitFor();
    await waitFirst(page, 1, "c11@example.com");
    await page.goto(`${adminURL}#/contact?sort=rank&order=DESC&page=1&perPage=10`);
    await waitFirst(page, 1, "c25@example.com"); // by rank, descending
    await page.goto(`${adminURL}#/contact?filter=${encodeURIComponent(JSON.stringify({ q: "c07" }))}`);
    await waitRows(page, 1);
    await waitFirst(page, 1, "c07@example.com"); // q finds it
    await page.goto(`${adminURL}#/contact?filter=${encodeURIComponent(JSON.stringify({ type: "sms" }))}&sort=info&order=ASC`);
    await page.getByText("1-7 of 7").waitFor(); // c01, c05, … c25
    await shot(page, "contacts-filtered");

    // Open a contact, then save a stale copy: 412, shown as a notification.
    const list = await call("GET", `/contact?filter=${encodeURIComponent(JSON.stringify({ info: "c03@example.com" }))}`);
    const c03 = list.json.items[0];
    await page.goto(`${adminURL}#/contact/${c03.id}`);
    const info = page.locator('input[name="info"]');
    await info.waitFor();
    check((await info.inputValue()) === "c03@example.com", "the edit page shows the record");
    await must("PUT", `/contact/${c03.id}`, { rank: 300 }); // someone else changes it meanwhile
    await info.fill("c03-stale@example.com");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    const stale = await notification(page);
    check(/precondition/i.test(stale), `a stale save is refused with 412 (notification: ${stale})`);
    await shot(page, "contact-stale");
    check((await must("GET", `/contact/${c03.id}`)).info === "c03@example.com", "the stale write changed nothing");
    // Reloaded, the same edit goes through.
    await page.reload();
    await info.waitFor();
    await page.waitForFunction(() => document.querySelector('input[name="rank"]')?.value === "300", null, { timeout });
    await info.fill("c03-new@example.com");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.waitForURL(/#\/contact($|\?)/, { timeout });
    check((await must("GET", `/contact/${c03.id}`)).info === "c03-new@example.com", "the fresh save is stored");

    // Bulk update (updateMany) and delete of a contact.
    await page.goto(`${adminURL}#/contact?sort=info&order=ASC&page=1&perPage=10`);
    await waitRows(page, 10);
    await rows(page).nth(0).locator('input[type="checkbox"]').check();
    await rows(page).nth(1).locator('input[type="checkbox"]').check();
    await page.getByRole("button", { name: "Mute", exact: true }).click();
    const confirm = page.getByRole("button", { name: "Confirm", exact: true });
    if (await confirm.isVisible().catch(() => false)) await confirm.click();
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr input[type="checkbox"]:checked').length === 0, null, { timeout });
    const muted = (await call("GET", `/contact?filter=${encodeURIComponent(JSON.stringify({ muted: true }))}`)).json.items;
    check(muted.length === 2, `two contacts muted, got ${muted.length}`);
    const c05 = (await call("GET", `/contact?filter=${encodeURIComponent(JSON.stringify({ info: "c05@example.com" }))}`)).json.items[0];
    await page.goto(`${adminURL}#/contact/${c05.id}`);
    await page.locator('input[name="info"]').waitFor();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.waitForURL(/#\/contact($|\?)/, { timeout });
    check((await call("GET", `/contact/${c05.id}`)).status === 404, "the deleted contact is gone");

    // Lists: the category named through the reference (getMany), and a
    // list's messages (getManyReference).
    await page.goto(`${adminURL}#/list`);
    await waitRows(page, 2);
    await page.getByRole("cell", { name: "Work" }).waitFor();
    await shot(page, "lists");
    await page.goto(`${adminURL}#/list/${club}`);
    await page.getByText("Route 1").waitFor();
    await page.getByText("Meet at the crag, week 3").waitFor();
    await shot(page, "list-edit");

    // Categories: create one.
    await page.goto(`${adminURL}#/category/create`);
    await page.locator('input[name="name"]').fill("Neighbours");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("cell", { name: "Neighbours" }).waitFor();
    await shot(page, "categories");

    // Messages: delete two at once (deleteMany).
    await page.goto(`${adminURL}#/message`);
    await waitRows(page, 3);
    await shot(page, "messages");
    await rows(page).nth(0).locator('input[type="checkbox"]').check();
    await rows(page).nth(1).locator('input[type="checkbox"]').check();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await waitRows(page, 1);
    check((await call("GET", "/message")).json.items.length === 1, "two messages deleted");

    // The trashcan: the deleted contact and messages; restore the contact.
    await page.goto(`${adminURL}#/trashcan`);
    await waitRows(page, 3);
    await shot(page, "trashcan");
    const row = rows(page).filter({ hasText: c05.id });
    await row.getByRole("button", { name: "Restore", exact: true }).click();
    await waitRows(page, 2);
    check((await call("GET", `/contact/${c05.id}`)).status === 200, "the restored contact is back");

    // Every method of ra-data-simple-rest was used.
    const calls = await page.evaluate(() => window.dataProviderCalls);
    const methods = ["getList", "getOne", "getMany", "getManyReference", "create", "update", "updateMany", "delete", "deleteMany"];
    const missing = methods.filter((m) => !calls[m]);
    check(missing.length === 0, `data provider methods not used: ${missing} (used: ${JSON.stringify(calls)})`);
    // (create: the category above.)

    // The API docs render every tag of the document.
    const doc = (await call("GET", "/openapi.json")).json;
    await page.goto(`${api}/docs`);
    await page.locator(".opblock-tag").first().waitFor();
    const shown = await page.locator(".opblock-tag").evaluateAll((els) => els.map((e) => e.getAttribute("data-tag")));
    const tags = doc.tags.map((t) => t.name);
    const absent = tags.filter((t) => !shown.includes(t));
    check(absent.length === 0, `docs page lacks tags ${absent} (shows ${shown})`);
    await shot(page, "docs");
    check(consoleErrors.length === 0, `page errors: ${consoleErrors.join("; ")}`);
    console.log(`admin.test: ok; data provider calls ${JSON.stringify(calls)}; ${tags.length} tags in the docs; screenshots in ${shots}`);
  } catch (e) {
    if (page) {
      await shot(page, "failure").catch(() => {});
      const text = await page.locator("body").innerText().catch(() => "");
      e.message += `\n(the page at ${page.url()} shows: ${text.slice(0, 2000)}; screenshot ${join(shots, "failure.png")})`;
    }
    throw e;
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`admin.test: ${e.message}\n${e.stack || ""}`);
  process.exit(1);
});
