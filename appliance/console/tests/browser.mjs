// The console's browser scenarios, in Debian's headless Chromium driven by
// playwright-core (no browser of its own is downloaded). Run by
// tests/integration/72-console.bats inside the lab's client namespace:
//
//   node browser.mjs STEP URL [ARGS...]
//
//   login URL NAME PASSWORD            log in; the dashboard shows; prints the page load
//                                      figures (Navigation Timing) as "timing {json}"
//   create URL NAME PASSWORD VS VIP PORT LUN
//                                      create VS with a VIP, a file system "data" on LUN, an
//                                      NFS export /data and an SMB share "data", all in the UI;
//                                      start it and wait until it runs; screenshot vserver.png
//   migrate URL NAME PASSWORD VS TO    the events page open (following) in one tab, migrate VS
//                                      to TO from its page in another; the migration's event
//                                      must appear in the first tab without a reload
//   readonly URL NAME PASSWORD VS      a read-only account: no change button or form on any
//                                      page; its POST (with its CSRF token) answers 403
//   dashboard URL NAME PASSWORD        wait for the load graphs to fill; save the join bundle
//                                      (Join bundle: a file holding the key); screenshot
//                                      dashboard.png (laptop) and dashboard-tablet.png
//   tour URL NAME PASSWORD             every other page once (the events page is migrate's),
//                                      each without an error shown: screenshots page-NAME.png
//   balance URL NAME PASSWORD MODE     set the balancing mode on the balancing page; the page
//                                      then shows MODE
//   setup URL CODE wrong|apply         the first setup's page (a node with no account): a wrong
//                                      code's sentence shown, or the setup made (setup-done.png)
//
// Screenshots go to $SHOTS (default build/console-shots). Exit status 0 when
// the step passed, 1 with one line "FAIL: ..." otherwise.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [step, url, name, password, ...args] = process.argv.slice(2);
const shots = process.env.SHOTS || 'build/console-shots';
mkdirSync(shots, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));

let doing = 'starting';
function fail(msg) {
  throw new Error(msg);
}

// page.goto, again up to twice when Chromium saw the network change under it
// (net::ERR_NETWORK_CHANGED: an address of the lab's client namespace, e.g. an IPv6 one leaving
// its duplicate address detection, came or went while the page loaded); any other error as is.
async function open(page, where) {
  for (let i = 0; ; i++) {
    try {
      return await page.goto(where, { waitUntil: 'load' });
    } catch (e) {
      if (i >= 2 || !/ERR_NETWORK_CHANGED/.test(String(e.message || e))) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function start() {
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    ignoreHTTPSErrors: true, // the node's self-signed certificate
    acceptDownloads: true, // the join bundle (dashboard)
    viewport: { width: 1366, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  ctx.setDefaultTimeout(20000);
  return ctx;
}

// Every console page must load with no CSP violation and no script error.
function watch(page, problems) {
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|403|404)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

async function login(page) {
  await open(page, url);
  await page.getByLabel('Account').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

async function card(page, title) {
  return page.locator(`section.card[aria-label="${title}"]`);
}

const SELECTS = ['Home node', 'Home port', 'LUN', 'Export file system', 'Share file system', 'To node', 'Mode'];

// Submit the form labelled label inside card title with values {label: value}.
async function fill(page, title, values, submit) {
  doing = `${submit} in "${title}"`;
  const c = await card(page, title);
  for (const [label, v] of Object.entries(values)) {
    const f = c.getByLabel(label, { exact: true });
    if (SELECTS.includes(label)) {
      // A choice among what the server has: there once its list is in.
      await c.locator(`select option[value="${v}"]`).first().waitFor({ state: 'attached' });
      await f.selectOption(v);
    } else await f.fill(v);
  }
  await c.getByRole('button', { name: submit, exact: true }).click();
  // Its answer, or the page it leads to (the form is gone).
  const msg = c.locator('form [role=status], form [role=alert]').last();
  // The message is read as soon as it shows: the page it leads to may replace the form at once
  // (then the message is gone, and that is a success, not something to wait for).
  const said = await Promise.race([
    msg.waitFor().then(async () => ({
      role: await msg.getAttribute('role', { timeout: 2000 }).catch(() => null),
      text: await msg.textContent({ timeout: 2000 }).catch(() => ''),
    })),
    c.waitFor({ state: 'detached' }).then(() => null),
  ]);
  if (said && said.role === 'alert') fail(`${submit} in "${title}": ${said.text}`);
}

async function waitText(locator, re, ms) {
  doing = `waiting for ${re}`;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const t = (await locator.textContent().catch(() => '')) || '';
    if (re.test(t)) return t;
    await new Promise((r) => setTimeout(r, 250));
  }
  fail(`waited ${ms / 1000} s for ${re} in ${await locator.textContent().catch(() => '(gone)')}`);
}

const steps = {
  async login(ctx, page) {
    await login(page);
    // The page load as the browser measured it (a fresh load of / with the session).
    await page.reload({ waitUntil: 'load' });
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.locator('section.card[aria-label="Cluster"] dl').waitFor();
    const t = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      const r = performance.getEntriesByType('resource').filter((e) => e.name.includes('/assets/'));
      return {
        ttfb_ms: Math.round(n.responseStart - n.startTime),
        dom_content_loaded_ms: Math.round(n.domContentLoadedEventEnd - n.startTime),
        load_ms: Math.round(n.loadEventEnd - n.startTime),
        data_shown_ms: Math.round(performance.now()),
        assets_bytes: r.reduce((s, e) => s + (e.transferSize || e.encodedBodySize || 0), 0),
      };
    });
    console.log(`timing ${JSON.stringify(t)}`);
    // Keyboard: the first Tab reaches the skip link, then the page's links.
    await page.keyboard.press('Tab');
    const first = await page.evaluate(() => document.activeElement && document.activeElement.textContent);
    if (!/Skip to the page/.test(first || '')) fail(`the first Tab reached "${first}", not the skip link`);
  },

  async create(ctx, page) {
    const [vs, vip, port, lun] = args;
    await login(page);
    await page.getByRole('link', { name: 'Virtual servers', exact: true }).click();
    await fill(page, 'Create a virtual server', { Name: vs, 'Home node': 'n1' }, 'Create');
    await page.getByRole('heading', { name: `Virtual server ${vs}` }).waitFor();
    await fill(page, 'Virtual IPs', { 'Address/prefix': vip, 'Home port': port }, 'Add VIP');
    await fill(page, 'File systems', { 'File system name': 'data', LUN: lun }, 'Add file system');
    await fill(page, 'NFS exports', { 'NFSv4 path': '/data', 'Export file system': 'data' }, 'Add export');
    await fill(page, 'SMB shares', { 'Share name': 'data', 'Share file system': 'data' }, 'Add share');
    for (const [t, re] of [['Virtual IPs', new RegExp(vip.replace(/\./g, '\\.'))], ['File systems', /data/], ['NFS exports', /\/data/], ['SMB shares', /data/]])
      await waitText((await card(page, t)).locator('table'), re, 10000);
    await (await card(page, 'State')).getByRole('button', { name: 'Start', exact: true }).click();
    await waitText((await card(page, 'State')).locator('dl'), /Staterunning/, 90000);
    await waitText(page.locator('[data-testid=vs-node]'), /^n1$/, 5000);
    await waitText((await card(page, 'Virtual IPs')).locator('table'), /up on/, 20000);
    await page.screenshot({ path: join(shots, 'vserver.png'), fullPage: true });
    console.log(`screenshot ${join(shots, 'vserver.png')}`);
  },

  async migrate(ctx, page) {
    const [vs, to] = args;
    await login(page);
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await waitText(page.locator('[data-testid=follow-state]'), /following/, 10000);
    const before = await page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('.events li')].map((l) => Number(l.dataset.id))));
    const follow = await page.evaluate(() => document.querySelector('[data-testid=follow-state]').textContent);
    const other = await ctx.newPage();
    await open(other, `${url}#/vservers/${encodeURIComponent(vs)}`);
    await fill(other, 'Migrate', { 'To node': to }, 'Migrate');
    await waitText(other.locator('[data-testid=vs-node]'), new RegExp(`^${to}$`), 90000);
    await waitText((await card(other, 'State')).locator('dl'), /Staterunning/, 60000);
    // The first tab shows it without a reload: an event of this VS after `before`
    // that names the migration.
    const re = new RegExp(`\\(migrate\\).*running on ${to}`);
    const end = Date.now() + 30000;
    let seen = null;
    while (!seen && Date.now() < end) {
      seen = await page.evaluate(([b, src, v]) => {
        const r = new RegExp(src);
        const li = [...document.querySelectorAll('.events li')].find((l) => Number(l.dataset.id) > b && l.textContent.includes(v) && r.test(l.textContent));
        return li ? li.textContent : null;
      }, [before, re.source, vs]);
      if (!seen) await new Promise((r) => setTimeout(r, 250));
    }
    if (!seen) fail(`no migration event of ${vs} appeared on the events page (${follow})`);
    await page.screenshot({ path: join(shots, 'page-events.png'), fullPage: true });
    console.log(`event ${follow}: ${seen}`);
  },

  async readonly(ctx, page) {
    const [vs] = args;
    await login(page);
    const problems = [];
    for (const h of ['#/', '#/vservers', `#/vservers/${vs}`, '#/nodes', '#/fencing', '#/balance', '#/network', '#/luns', `#/users/${vs}`, '#/moves', '#/events']) {
      await open(page, url + h);
      await page.locator('main h1').waitFor();
      await page.waitForTimeout(1200); // its data is in
      const buttons = await page.locator('main button, main form:not([aria-label="Filter events"])').evaluateAll((els) => els.map((e) => e.textContent.trim() || e.getAttribute('aria-label')));
      if (buttons.length) problems.push(`${h}: ${buttons.join(', ')}`);
    }
    if (problems.length) fail(`a read-only account sees change buttons: ${problems.join('; ')}`);
    if (await page.getByRole('link', { name: 'Console accounts' }).count()) fail('a read-only account sees the accounts page');
    const r = await page.evaluate(async (v) => {
      const s = JSON.parse(localStorage.getItem('apweb.session'));
      const res = await fetch(`/api/v1/vservers/${v}/stop`, { method: 'POST', headers: { 'X-CSRF-Token': s.csrf, 'Content-Type': 'application/json' }, body: '{}' });
      return { status: res.status, body: await res.json(), role: s.role };
    }, vs);
    if (r.status !== 403 || r.role !== 'read-only') fail(`its POST stop answered ${r.status} (${JSON.stringify(r.body)})`);
    console.log(`refused ${r.status}: ${r.body.error}`);
  },

  async balance(ctx, page) {
    const [mode] = args;
    await login(page);
    await page.getByRole('link', { name: 'Balancing', exact: true }).click();
    await fill(page, 'Change the balancing', { Mode: mode }, 'Change balancing');
    await waitText(page.locator('[data-balance-mode]'), new RegExp(`^${mode}$`), 10000);
    console.log(`balance ${mode}`);
  },

  async dashboard(ctx, page) {
    await login(page);
    // At least 4 samples in each graph (the poll is every 3 s).
    const end = Date.now() + 30000;
    while (Date.now() < end) {
      const n = await page.locator('figure.chart figcaption').allTextContents();
      if (n.length === 4 && n.every((t) => /\((?:[^,]+), ([4-9]|\d\d+) samples\)/.test(t))) break;
      await page.waitForTimeout(500);
    }
    if ((await page.locator('figure.chart canvas').count()) < 4) fail('the dashboard has fewer than 4 graphs');
    // The join bundle, saved from the Cluster card: the cluster's bundle, its key in it.
    doing = 'saving the join bundle';
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }),
      page.locator('[data-action="bundle"]').click()]);
    const saved = JSON.parse(readFileSync(await dl.path(), 'utf8'));
    if (!saved.name || !Array.isArray(saved.nodes) || !(saved.key && saved.key.length > 300)) fail('the saved join bundle is not a bundle');
    if (!/-join-bundle\.json$/.test(dl.suggestedFilename())) fail(`the bundle was saved as ${dl.suggestedFilename()}`);
    await waitText((await card(page, 'Cluster')).locator('[role=status]'), /holds the cluster key/, 10000);
    console.log(`bundle ${dl.suggestedFilename()} nodes ${saved.nodes.length}`);
    await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(shots, 'dashboard-tablet.png'), fullPage: true });
    console.log(`screenshot ${join(shots, 'dashboard.png')} ${join(shots, 'dashboard-tablet.png')}`);
  },
};

steps.tour = async (ctx, page) => {
  await login(page);
  for (const p of ['vservers', 'nodes', 'fencing', 'balance', 'network', 'luns', 'users', 'moves', 'accounts']) {
    await open(page, `${url}#/${p}`);
    await page.locator('main h1').waitFor();
    await page.waitForTimeout(1500);
    const errs = await page.locator('main [role=alert]').allTextContents();
    if (errs.length) fail(`#/${p} shows an error: ${errs.join('; ')}`);
    await page.screenshot({ path: join(shots, `page-${p}.png`), fullPage: true });
  }
  console.log(`screenshots ${join(shots, 'page-*.png')}`);
};

// setup URL CODE [wrong|apply]: the node needs setup, so the start page is the setup form (not
// the login); filled for n1 (static 192.0.2.11/24 on eth1, cluster solo, account root1). wrong:
// the server's sentence about the code is shown (screenshot setup.png); apply: the page says the
// node is set up, and its button leads to the login.
steps.setup = async (ctx, page) => {
  const mode = password || 'wrong';
  doing = 'the setup page';
  await open(page, url);
  await page.getByRole('heading', { name: 'Set up this node', level: 1 }).waitFor();
  await page.getByLabel('Setup code').fill(name);
  await page.getByLabel('Node name').fill('n1');
  await page.getByLabel('Port', { exact: true }).fill('eth1');
  await page.getByLabel('How').selectOption('static');
  await page.getByLabel('Address with prefix').fill('192.0.2.11/24');
  await page.getByLabel('Cluster name').fill('solo');
  await page.getByLabel('Account', { exact: true }).fill('root1');
  await page.getByLabel('Password', { exact: true }).fill('first-pass-1');
  await page.getByLabel('Password again').fill('first-pass-1');
  doing = `the setup (${mode})`;
  await page.getByRole('button', { name: 'Set up' }).click();
  if (mode === 'wrong') {
    const alert = page.locator('[role=alert]');
    await alert.waitFor();
    const text = await alert.textContent();
    if (!/setup code is wrong/.test(text)) fail(`the setup page shows "${text}"`);
    await page.screenshot({ path: join(shots, 'setup.png'), fullPage: true });
    console.log(`screenshot ${join(shots, 'setup.png')}`);
    return;
  }
  await page.getByRole('heading', { name: 'Node n1 is set up' }).waitFor();
  await page.screenshot({ path: join(shots, 'setup-done.png'), fullPage: true });
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByLabel('Account').waitFor();
};

let ctx;
let code = 0;
try {
  if (!steps[step]) fail(`no such step ${step}`);
  ctx = await start();
  const page = ctx.pages()[0] || (await ctx.newPage());
  const problems = [];
  watch(page, problems);
  await steps[step](ctx, page);
  if (problems.length) fail(problems.join('; '));
  console.log(`ok ${step}`);
} catch (e) {
  console.log(`FAIL: ${step}: ${doing}: ${String(e.message || e).split('\n')[0]}`);
  try {
    const p = ctx && ctx.pages()[ctx.pages().length - 1];
    if (p) await p.screenshot({ path: join(shots, `failed-${step}.png`), fullPage: true });
  } catch {
    /* no screenshot */
  }
  code = 1;
} finally {
  if (ctx) await ctx.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
