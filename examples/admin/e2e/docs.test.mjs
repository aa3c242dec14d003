// The browser test of the API docs page (Swagger UI at /api/v1/docs):
// Debian's headless Chromium driven by playwright-core logs in through the
// Authorize dialog's OAuth2 password flow (username, password and a scope,
// posted to the token endpoint as a form), then runs "Try it out" on a
// protected operation, which must answer 200 to the bearer token the
// dialog obtained. examples/contacts' TestDocsInBrowser starts the service
// and runs this.
//
// Environment: API_URL (…/api/v1), API_USERNAME, API_PASSWORD, API_SCOPE.
// Exit status 0 when every check passed; the first failure is printed.
import { chromium } from "playwright-core";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const api = env("API_URL");
const scope = env("API_SCOPE");
const timeout = 60_000; // a bound for a loaded machine; unloaded, the test takes seconds

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

// The operation to try: GET /contact, its tag and operationId from the
// document (Swagger UI's element id is operations-<tag>-<operationId>).
const doc = await (await fetch(`${api}/openapi.json`)).json();
const path = Object.keys(doc.paths).find((p) => p.endsWith("/contact"));
const op = doc.paths[path].get;
check(op && op.security.some((s) => "oauth2" in s), `GET ${path} accepts the oauth2 scheme`);
const flow = doc.components.securitySchemes.oauth2.flows.password;
check(flow && scope in flow.scopes, `the password flow offers scope ${scope}`);

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
let page;
try {
  page = await browser.newPage();
  page.setDefaultTimeout(timeout);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const tokenRequests = [];
  const apiCalls = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith("/auth/token")) tokenRequests.push({ body: r.postData() || "", type: r.headers()["content-type"] || "" });
    if (u.pathname === path) apiCalls.push(r.headers()["authorization"] || "");
  });

  await page.goto(`${api}/docs`);
  await page.locator("button.authorize").first().click();
  const dialog = page.locator(".modal-ux");
  await dialog.waitFor();
  // The oauth2 scheme's section (the element holding "Flow: password")
  // offers the password flow.
  const section = dialog.locator("div:has(> p.flow)", { hasText: "password" });
  await section.locator('input[data-name="username"]').fill(env("API_USERNAME"));
  await section.locator('input[data-name="password"]').fill(env("API_PASSWORD"));
  // The scope's checkbox is drawn by its label.
  const box = section.locator(`input[type="checkbox"][data-value="${scope}"]`);
  await section.locator(`label[for="${await box.getAttribute("id")}"]`).click();
  check(await box.isChecked(), `scope ${scope} checked`);
  await section.locator("button.authorize").click();
  await section.locator("button", { hasText: "Logout" }).waitFor();
  check(tokenRequests.length === 1, `one token request (saw ${tokenRequests.length})`);
  const form = new URLSearchParams(tokenRequests[0].body);
  check(tokenRequests[0].type.startsWith("application/x-www-form-urlencoded"), `token request is a form (${tokenRequests[0].type})`);
  check(form.get("grant_type") === "password" && form.get("username") === env("API_USERNAME") && form.get("scope") === scope,
    `token request form ${[...form.keys()]} with grant_type=password, the username and scope ${scope}`);
  await dialog.locator("button.close-modal").click();

  // Try it out on GET /contact: 200 with the dialog's bearer token.
  const block = page.locator(`#operations-${op.tags[0]}-${op.operationId}`);
  await block.locator(".opblock-summary").first().click();
  await block.locator("button.try-out__btn").click();
  await block.locator("button.execute").click();
  const status = block.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor();
  const code = (await status.innerText()).trim();
  check(code === "200", `GET ${path} answered ${code}, want 200`);
  check(apiCalls.length === 1 && /^Bearer \S+$/.test(apiCalls[0]), `the call carried a bearer token (${apiCalls})`);
  check(errors.length === 0, `page errors: ${errors.join("; ")}`);
  console.log(`docs.test: ok; password flow with scope ${scope}, then GET ${path} → ${code}`);
} catch (e) {
  if (page) {
    const text = await page.locator("body").innerText().catch(() => "");
    console.error(`page text: ${text.slice(0, 3000)}`);
  }
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
