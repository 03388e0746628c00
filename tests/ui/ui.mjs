// Drives the web UI in headless Debian Chromium (playwright-core from ui/node_modules) against a
// running server: sign-in (a bad token is refused with the server's reason, the good one is
// accepted), every page of the nav loads with data and without console errors, a filter and a
// drill-down, the PromQL editor's completion, the light theme, a revoked/bad stored token sends
// the app back to sign-in. Screenshots of every page go to SCREENSHOT_DIR.
//
//   ASTROLABE_URL=http://127.0.0.1:8080 ASTROLABE_TOKEN=astro_… SCREENSHOT_DIR=build-asan/ui-screenshots \
//     node tests/ui/ui.mjs
// Run by the ctest test ui_test (tests/ui_test.cc) against `astrolabe demo`. Exit code 0 = all passed.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const require = createRequire(path.join(repo, 'ui', 'package.json'));
const { chromium } = require('playwright-core');

const base = (process.env.ASTROLABE_URL ?? '').replace(/\/$/, '');
const token = process.env.ASTROLABE_TOKEN ?? '';
const shots = path.resolve(process.env.SCREENSHOT_DIR ?? path.join(repo, 'build', 'ui-screenshots'));
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!base || !token) {
  console.error('ui.mjs: set ASTROLABE_URL and ASTROLABE_TOKEN');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const failures = [];
const results = [];
function check(cond, what) {
  results.push(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failures.push(what);
  return cond;
}

// Console errors, except the browser's own line for a 404 of an optional API (the GenAI API is
// probed by the Overview and answers 404 on servers without it).
const consoleErrors = [];
function watch(page, label) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url ?? '';
    if (/Failed to load resource/.test(msg.text()) && /\/api\/v1\/genai\//.test(url)) return;
    // Sign-in probes the server with status/buildinfo: a 401/403 there is the expected answer
    // to a missing or bad token, not an error of the app.
    if (/Failed to load resource: the server responded with a status of 40[13]/.test(msg.text()) && /\/api\/v1\/status\/buildinfo/.test(url)) return;
    // The page that stores a rejected token on purpose sees 401s.
    if (/Failed to load resource: the server responded with a status of 401/.test(msg.text()) && label === 'auth') return;
    consoleErrors.push(`[${label}] ${msg.text()} ${url}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`[${label}] uncaught: ${err.message}`));
}

// Waits until the page has no spinner and no request in flight (bounded).
async function settle(page, ms = 20000) {
  await page.waitForLoadState('networkidle', { timeout: ms }).catch(() => {});
  await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0, null, { timeout: ms }).catch(() => {});
  await page.waitForTimeout(300);
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const timings = {};
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  watch(page, 'app');

  // --- sign-in -------------------------------------------------------------------------------
  await page.goto(base + '/#/overview?range=15m', { waitUntil: 'domcontentloaded' });
  check(await page.locator('form.signin').isVisible({ timeout: 10000 }).catch(() => false), 'sign-in form shown without a token');
  await page.screenshot({ path: path.join(shots, 'signin.png') });
  await page.fill('#token', 'astro_000000000000_' + '0'.repeat(64));
  await page.click('form.signin button[type=submit]');
  await page.waitForFunction(() => (document.querySelector('.signin-reason')?.textContent ?? '').length > 0, null, { timeout: 10000 }).catch(() => {});
  const reason = await page.locator('.signin-reason').textContent();
  check(/refused/i.test(reason ?? ''), `a bad token is refused with the reason ("${reason}")`);
  await page.fill('#token', token);
  const t0 = Date.now();
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('.models-card tbody tr', { timeout: 30000 }).catch(() => {});
  timings.overviewAfterSignIn = Date.now() - t0;
  check(await page.locator('nav.nav').isVisible(), 'signed in: the nav is shown');

  // --- every page of the nav -------------------------------------------------------------------
  const nav = await page.$$eval('nav.nav a.nav-link', (as) => as.map((a) => ({ id: a.dataset.page, title: a.textContent })));
  check(nav.length >= 2, `nav lists pages: ${nav.map((n) => n.id).join(', ')}`);
  for (const { id, title } of nav) {
    const before = consoleErrors.length;
    await page.click(`nav.nav a[data-page="${id}"]`);
    await page.waitForFunction((p) => location.hash.startsWith('#/' + p), id, { timeout: 5000 }).catch(() => {});
    await settle(page);
    const placeholder = await page.locator('.page-body .empty-state:has-text("not part of this build")').count();
    if (placeholder) {
      console.log(`note ${id}: not in this build (placeholder page shown)`);
      check(true, `${title}: placeholder renders`);
    } else {
      const errors = await page.locator('.page-body .error-box').allTextContents();
      check(errors.length === 0, `${title}: no error panel${errors.length ? ' (' + errors.join(' | ') + ')' : ''}`);
      const data = await page.locator('.page-body canvas, .page-body table tbody tr, .page-body svg.sparkline').count();
      check(data > 0 || id === 'explore', `${title}: shows data (${data} charts/rows)`);
    }
    check(consoleErrors.length === before, `${title}: no console errors${consoleErrors.length > before ? ': ' + consoleErrors.slice(before).join(' | ') : ''}`);
    await page.screenshot({ path: path.join(shots, `${id}.png`), fullPage: true });
    // Other pages' drill-downs (e.g. GenAI calls → a call): the first drill-down element (a row of
    // chart.ts' table, `tr.clickable`; uipages' call rows, `tr.gx-click`; or anything marked
    // `data-drilldown`) opens a view that loads without an error panel or console errors.
    const DRILL = '.page-body tbody tr.clickable, .page-body tbody tr.gx-click, .page-body [data-drilldown]';
    if (id !== 'overview' && !placeholder && (await page.locator(DRILL).count()) > 0) {
      const from = page.url();
      const errs = consoleErrors.length;
      await page.locator(DRILL).first().click();
      await page.waitForFunction((u) => location.href !== u, from, { timeout: 5000 }).catch(() => {});
      await settle(page);
      const to = decodeURIComponent(page.url().split('#')[1] ?? '');
      const panel = await page.locator('.page-body .error-box').allTextContents();
      check(page.url() !== from && panel.length === 0 && consoleErrors.length === errs,
        `${title}: a row drills down to ${to}${panel.length ? ' (' + panel.join(' | ') + ')' : ''}${consoleErrors.length > errs ? ': ' + consoleErrors.slice(errs).join(' | ') : ''}`);
      await page.screenshot({ path: path.join(shots, `${id}-drilldown.png`), fullPage: true });
    }
  }

  // --- Overview: filter and drill-down --------------------------------------------------------
  await page.click('nav.nav a[data-page="overview"]');
  await page.waitForSelector('.models-card tbody tr', { timeout: 30000 });
  const models = await page.$$eval('.models-card tbody tr .cell-main', (els) => els.map((e) => e.textContent));
  check(models.length >= 3, `overview lists models: ${models.join(', ')}`);
  const pick = models.find((m) => /llama/i.test(m)) ?? models[0];
  const needle = pick.split(/[-/]/).find((p) => p.length >= 4) ?? pick;
  await page.fill('#overview-filter', needle);
  await page.waitForFunction((n) => location.hash.includes('q=' + encodeURIComponent(n)), needle, { timeout: 5000 }).catch(() => {});
  await page.waitForSelector('.models-card tbody tr', { timeout: 30000 });
  await settle(page);
  const filtered = await page.$$eval('.models-card tbody tr', (rows) => rows.map((r) => r.textContent ?? ''));
  check(page.url().includes('q='), `the filter is in the URL (${page.url().split('#')[1]})`);
  check(filtered.length > 0 && filtered.length < models.length && filtered.every((r) => r.toLowerCase().includes(needle.toLowerCase())),
    `filter "${needle}" keeps ${filtered.length} of ${models.length} models, all matching`);
  await page.screenshot({ path: path.join(shots, 'overview-filtered.png'), fullPage: true });
  await page.click('.models-card tbody tr >> nth=0');
  await page.waitForFunction(() => !location.hash.startsWith('#/overview'), null, { timeout: 5000 }).catch(() => {});
  const drilled = decodeURIComponent(page.url().split('#')[1] ?? '');
  check(/^\/(inference|gateway|calls)\?/.test(drilled) && drilled.includes('model='), `a model row drills down to ${drilled}`);
  await settle(page);
  await page.screenshot({ path: path.join(shots, 'drilldown.png'), fullPage: true });

  // --- Explore: completion and a query ----------------------------------------------------------
  await page.goto(base + '/#/explore?range=15m', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#promql');
  await page.click('#promql');
  await page.keyboard.type('kong_ai_llm_req');
  await page.waitForSelector('.completions.open .completion', { timeout: 10000 }).catch(() => {});
  const offered = await page.$$eval('.completions .completion span:first-child', (els) => els.map((e) => e.textContent));
  check(offered.includes('kong_ai_llm_requests_total'), `metric names complete (${offered.slice(0, 3).join(', ')}…)`);
  await page.keyboard.press('Tab');
  await page.keyboard.type('{ai_pro');
  await page.waitForFunction(() => [...document.querySelectorAll('.completions.open .completion span:first-child')].some((e) => e.textContent === 'ai_provider'), null, { timeout: 10000 }).catch(() => {});
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => document.querySelectorAll('.completions.open .completion').length > 0, null, { timeout: 10000 }).catch(() => {});
  const values = await page.$$eval('.completions .completion span:first-child', (els) => els.map((e) => e.textContent));
  check(values.includes('openai'), `label values complete (${values.join(', ')})`);
  await page.keyboard.press('Tab');
  await page.keyboard.type('}');
  const text = await page.inputValue('#promql');
  check(text === 'kong_ai_llm_requests_total{ai_provider="' + values[0] + '"}', `completed query: ${text}`);
  await page.fill('#promql', 'sum by (ai_model) (rate(kong_ai_llm_requests_total[1m]))');
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('.explore-result .uplot canvas', { timeout: 20000 }).catch(() => {});
  const stats = await page.locator('#result-stats').textContent().catch(() => '');
  check(/matrix · [1-9]\d* series/.test(stats ?? ''), `a range query draws a chart (${stats})`);
  await settle(page);
  await page.screenshot({ path: path.join(shots, 'explore-query.png'), fullPage: true });

  // --- light theme ----------------------------------------------------------------------------
  await page.goto(base + '/#/overview?range=15m', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.models-card tbody tr', { timeout: 30000 });
  const theme0 = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.click('button[aria-label=theme]');
  await page.waitForSelector('.models-card tbody tr', { timeout: 30000 });
  await settle(page);
  const theme1 = await page.evaluate(() => document.documentElement.dataset.theme);
  check(theme0 !== theme1 && ['dark', 'light'].includes(theme1 ?? ''), `the theme switches from ${theme0} to ${theme1}`);
  await page.screenshot({ path: path.join(shots, `overview-${theme1}.png`), fullPage: true });

  // --- first render time: a fresh load of the Overview with the token stored -------------------
  const fresh = await context.newPage();
  watch(fresh, 'fresh');
  const t1 = Date.now();
  await fresh.goto(base + '/#/overview?range=1h', { waitUntil: 'domcontentloaded' });
  timings.domContentLoaded = Date.now() - t1;
  await fresh.waitForSelector('.topbar', { timeout: 10000 });
  timings.shell = Date.now() - t1;
  await fresh.waitForSelector('.models-card tbody tr', { timeout: 30000 });
  timings.overviewData = Date.now() - t1;
  await fresh.close();

  // --- a bad stored token: back to sign-in with the reason ------------------------------------
  const auth = await context.newPage();
  watch(auth, 'auth');
  await auth.goto(base + '/', { waitUntil: 'domcontentloaded' });
  await auth.evaluate(() => localStorage.setItem('astrolabe.token', 'astro_111111111111_' + '1'.repeat(64)));
  await auth.reload({ waitUntil: 'domcontentloaded' });
  await auth.waitForSelector('form.signin', { timeout: 15000 }).catch(() => {});
  const why = await auth.locator('.signin-reason').textContent().catch(() => '');
  check(await auth.locator('form.signin').isVisible().catch(() => false) && (why ?? '').length > 0, `a rejected stored token returns to sign-in ("${why}")`);
  await auth.close();
} catch (e) {
  check(false, `unexpected: ${e?.stack ?? e}`);
} finally {
  await browser.close();
}

check(consoleErrors.length === 0, `no console errors overall${consoleErrors.length ? ':\n  ' + consoleErrors.join('\n  ') : ''}`);
console.log(`timings (ms): ${JSON.stringify(timings)}`);
writeFileSync(path.join(shots, 'results.txt'), results.join('\n') + `\ntimings (ms): ${JSON.stringify(timings)}\n`);
console.log(failures.length ? `${failures.length} FAILED` : 'all passed', `— screenshots in ${shots}`);
process.exit(failures.length ? 1 : 0);
