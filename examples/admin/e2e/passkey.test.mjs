// The browser test of passkeys: Debian's headless Chromium, driven by
// playwright-core, with a virtual authenticator (Chrome DevTools
// Protocol WebAuthn.addVirtualAuthenticator: a platform authenticator
// holding resident keys and verifying its user). On a page of the
// relying party's origin it enrols a passkey for a signed-in user, then
// logs in with it and no password, then gives it as the second factor of
// a password login. examples/contacts' TestPasskeyInBrowser starts the
// service and serves the page, then runs this.
//
// Environment: PAGE_URL (a page on the relying party's origin), API_URL
// (…/api/v1, which lets PAGE_URL's origin call it), USERNAME, PASSWORD.
// Exit status 0 when every check passed; the first failure is printed.
import { chromium } from "playwright-core";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const api = env("API_URL");
function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(env("PAGE_URL"));
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  });

  // Runs in the page: the calls a web app makes, with the JSON helpers of
  // WebAuthn Level 3 (parse…FromJSON, toJSON).
  const ceremonies = async ({ api, username, password }) => {
    const call = async (method, path, body, token) => {
      const res = await fetch(api + path, {
        method,
        headers: {
          ...(body ? { "Content-Type": "application/json" } : {}),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    };
    const create = async (options) =>
      (await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey) })).toJSON();
    const get = async (options) =>
      (await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey) })).toJSON();
    const out = {};

    const pw = await call("POST", "/auth", { username, password });
    out.passwordLogin = pw.status;
    const token = pw.json.token;
    const ch = await call("POST", "/auth/passkey/challenge", null, token);
    out.challenge = ch.status;
    const cred = await create(ch.json.options);
    const reg = await call("POST", "/auth/passkey", { state: ch.json.state, credential: cred, name: "virtual authenticator" }, token);
    out.enrol = reg.status;
    out.passkey = reg.json;
    out.residentKey = cred.clientExtensionResults?.credProps?.rk;

    // Passwordless: no username, the browser picks the resident key.
    const lch = await call("POST", "/auth/passkey/login/challenge");
    const assertion = await get(lch.json.options);
    const login = await call("POST", "/auth/passkey/login", { state: lch.json.state, credential: assertion });
    out.passkeyLogin = login.status;
    out.passkeyUID = login.json.uid;
    out.passwordUID = pw.json.uid;
    out.roles = login.json.roles;
    // The same assertion again: its challenge is used up.
    const replay = await call("POST", "/auth/passkey/login", { state: lch.json.state, credential: assertion });
    out.replay = replay.status;
    out.replayCode = replay.json.code;

    // Second factor: a password login now waits for the passkey.
    const pending = await call("POST", "/auth", { username, password });
    out.pendingRoles = pending.json.roles;
    const fch = await call("POST", "/auth/passkey/factor/challenge", null, pending.json.token);
    const factor = await call("POST", "/auth/passkey/factor", { state: fch.json.state, credential: await get(fch.json.options) }, pending.json.token);
    out.factor = factor.status;
    out.factorRoles = factor.json.roles;

    const list = await call("GET", "/auth/passkey", null, login.json.token);
    out.list = list.json;
    return out;
  };
  const out = await page.evaluate(ceremonies, { api, username: env("USERNAME"), password: env("PASSWORD") });
  console.log(JSON.stringify(out, null, 2));

  check(out.passwordLogin === 201, "password login 201");
  check(out.challenge === 201, "registration challenge 201");
  check(out.enrol === 201 && out.passkey.name === "virtual authenticator", "passkey enrolled under its name");
  check(out.passkeyLogin === 201, "passwordless login with the passkey 201");
  check(out.passkeyUID === out.passwordUID, "the passkey logs in the account that enrolled it");
  check(out.roles.includes("admin"), "a full session");
  check(out.replay === 401 && out.replayCode === "passkey.ceremony", "a replayed assertion is refused");
  check(JSON.stringify(out.pendingRoles) === JSON.stringify(["pendingtotp"]), "a password login waits for the passkey");
  check(out.factor === 201 && out.factorRoles.includes("admin"), "the passkey as second factor gives a full session");
  check(out.list.count === 1 && out.list.items[0].last_used, "one passkey, its last use recorded");

  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  check(credentials.length === 1 && credentials[0].isResidentCredential, "the authenticator holds one resident key");
  check(credentials[0].signCount >= 3, `the authenticator signed 3 times (signCount ${credentials[0].signCount})`);
  console.log("passkey browser test: ok");
} finally {
  await browser.close();
}
