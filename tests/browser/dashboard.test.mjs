// Browser test of the operator console (issue 13): Debian's chromium, headless, driven by
// playwright-core, loads the dashboard of a real lottery-server while five real agency-cli
// processes upload one after another, and checks what an operator would look at: the table fills,
// each agency turns "uploading" then "done" while the draw keeps waiting, and once the fifth is
// done the draw completes and the winners appear. Saves a screenshot for the README.
//
//   node dashboard.test.mjs --bin BUILD/bin --data DIR [--screenshot FILE]
//
// Exit 0: passed; anything else: failed (also without chromium or playwright-core: make test
// installs both).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CHROMIUM = process.env.LOTTERY_CHROMIUM || '/usr/bin/chromium';
const AGENCIES = 5;
const TIMEOUT_MS = 180000;

function argument(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const binDir = argument('--bin');
let dataDir = argument('--data');
const screenshot = argument('--screenshot', '');
if (!binDir || !dataDir) {
  console.error('usage: node dashboard.test.mjs --bin BUILD/bin --data DIR [--screenshot FILE]');
  process.exit(2);
}
if (!fs.existsSync(CHROMIUM)) {
  console.error(`FAIL: ${CHROMIUM} is not installed (make test installs it: scripts/install-deps.sh --with-tools)`);
  process.exit(1);
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (error) {
  console.error('playwright-core is not installed: run `npm ci --prefix tests/browser` ' +
    `(make test does it when npm is there): ${error.message}`);
  process.exit(1);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lottery-browser-'));
const children = [];
let context;

function cleanup() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
process.on('exit', cleanup);

function fail(message) {
  console.error('FAIL: ' + message);
  for (const file of fs.readdirSync(work).filter((name) => name.endsWith('.log'))) {
    const text = fs.readFileSync(path.join(work, file), 'utf8');
    console.error(`--- ${file} (last lines)\n` + text.split('\n').slice(-15).join('\n'));
  }
  cleanup();
  process.exit(1);
}

function check(condition, message) {
  if (!condition) fail(message);
}

// Starts a program with its output in WORK/NAME.log; resolves with the child.
function run(name, program, args) {
  const log = fs.openSync(path.join(work, name + '.log'), 'w');
  const child = spawn(program, args, { stdio: ['ignore', log, log] });
  children.push(child);
  child.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return child;
}

function readLog(name) {
  return fs.readFileSync(path.join(work, name + '.log'), 'utf8');
}

async function waitFor(what, predicate, timeoutMs = TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) fail('timed out waiting for ' + what);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// /api/status as this test sees it (loopback, no token needed), or null while it cannot be read.
async function apiStatus(port) {
  try {
    const reply = await fetch(`http://127.0.0.1:${port}/api/status`);
    return reply.ok ? await reply.json() : null;
  } catch {
    return null;
  }
}

function winnersInFile(file) {
  return fs.readFileSync(file, 'utf8').split(/\r?\n/)
    .filter((line) => line.trim().split(',')[4] === '7574').length;
}

// What the page shows: one object per table row, and the draw card.
async function pageState(page) {
  return page.evaluate(() => ({
    rows: [...document.querySelectorAll('#agencies tbody tr')].map((tr) => ({
      agency: Number(tr.dataset.agency),
      state: tr.dataset.state,
      bets: tr.children[2].textContent,
      winners: tr.children[5].textContent,
    })),
    draw: document.getElementById('draw-state').textContent,
    drawDetail: document.getElementById('draw-detail').textContent,
    updated: document.body.dataset.updated || '',
  }));
}

// The course dataset when it is there (five agencies of different sizes), else a generated one.
if (!fs.existsSync(path.join(dataDir, 'agency-1.csv'))) {
  dataDir = path.join(work, 'data');
  const datagen = run('datagen', path.join(binDir, 'lottery-datagen'), ['--out', dataDir,
    '--agencies', String(AGENCIES), '--bets', '8000', '--seed', '13']);
  check(await datagen.exited === 0, 'lottery-datagen failed');
}

const server = run('server', path.join(binDir, 'lottery-server'), ['--port', '0', '--agencies',
  String(AGENCIES), '--storage', path.join(work, 'bets.csv'), '--admin-port', '0']);
const ports = await waitFor('the server to listen', () => {
  check(server.exitCode === null, 'the server exited');
  const log = readLog('server');
  const agencies = /action: listen \| result: success .*\| port: (\d+)/.exec(log);
  const admin = /action: admin_listen \| result: success \| ip: \S+ \| port: (\d+)/.exec(log);
  return agencies && admin ? { agencies: agencies[1], admin: admin[1] } : null;
}, 30000);
const dashboard = `http://127.0.0.1:${ports.admin}/`;
console.log('dashboard at ' + dashboard);

context = await chromium.launchPersistentContext(path.join(work, 'chromium-profile'), {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const page = context.pages()[0] || await context.newPage();
const consoleErrors = [];
page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
page.on('pageerror', (error) => consoleErrors.push(error.message));
await page.goto(dashboard);

// The table fills with every expected agency, none connected yet; the draw waits.
let state = await waitFor('the table to fill', async () => {
  const s = await pageState(page);
  return s.rows.length === AGENCIES ? s : null;
}, 20000);
check(state.rows.every((row) => row.state === 'not_connected'), 'rows before any agency: ' +
  JSON.stringify(state.rows));
check(state.draw === 'waiting', 'draw before any agency: ' + state.draw);

// One agency at a time: each goes uploading -> done while the draw keeps waiting (the agency then
// waits for the winners, so its process stays).
const files = [];
const agencies = [];
let sawUploading = 0;
for (let agency = 1; agency <= AGENCIES; ++agency) {
  const file = path.join(dataDir, `agency-${agency}.csv`);
  files.push(file);
  agencies.push(run(`agency-${agency}`, path.join(binDir, 'agency-cli'), ['--agency',
    String(agency), '--server', `127.0.0.1:${ports.agencies}`, '--file', file,
    '--batch-max', '10', '--window', '1', '--log-level', 'INFO']));
  let uploading = false;
  if (agency === 1) {
    // Made deterministic, not left to the page's 1 s refresh racing a short upload: once the
    // server has stored some of agency 1's bets, the agency is paused (SIGSTOP: its connection
    // stays open, mid-upload) until the page shows it uploading, then resumed.
    await waitFor('agency 1 to have stored bets', async () => {
      const status = await apiStatus(ports.admin);
      const row = status && status.agencies.find((a) => a.agency === 1);
      return row && row.bets_stored > 0 && !row.done;
    }, 30000);
    agencies[0].kill('SIGSTOP');
    await waitFor('the page to show agency 1 uploading', async () => {
      const row = (await pageState(page)).rows[0];
      return row.state === 'uploading' && row.bets !== '0';
    }, 30000);
    uploading = true;
    agencies[0].kill('SIGCONT');
  }
  state = await waitFor(`agency ${agency} to show done`, async () => {
    const s = await pageState(page);
    const row = s.rows[agency - 1];
    if (row.state === 'uploading' && row.bets !== '0') uploading = true;
    return agency < AGENCIES && row.state === 'done' ? s
      : agency === AGENCIES && ['done', 'winners'].includes(row.state) ? s : null;
  });
  sawUploading += uploading ? 1 : 0;
  if (agency < AGENCIES) {
    check(state.draw === 'waiting', `draw after ${agency} agencies: ${state.draw}`);
    check(state.drawDetail === `${agency} of ${AGENCIES} agencies done`,
      `draw detail after ${agency} agencies: ${state.drawDetail}`);
    check(state.rows.slice(agency).every((row) => row.state === 'not_connected'),
      'rows not started yet: ' + JSON.stringify(state.rows));
  }
  console.log(`agency ${agency}: ${uploading ? 'seen uploading, then ' : ''}done; draw ${state.draw}`);
}
check(sawUploading >= 1, 'no agency was ever seen uploading');

// All done: the draw completes and every row shows its winners (counted here from the files).
state = await waitFor('the draw to complete', async () => {
  const s = await pageState(page);
  return s.draw === 'completed' && s.rows.every((row) => row.winners !== '–') ? s : null;
}, 30000);
for (let agency = 1; agency <= AGENCIES; ++agency) {
  const expected = winnersInFile(files[agency - 1]);
  const row = state.rows[agency - 1];
  check(row.winners === expected.toLocaleString('en-US'),
    `agency ${agency} winners ${row.winners}, the file has ${expected}`);
  check(row.state === (expected > 0 ? 'winners' : 'done'), `agency ${agency} state ${row.state}`);
}
for (let index = 0; index < agencies.length; ++index) {
  const code = await agencies[index].exited;
  check(code === 0, `agency ${index + 1} exited with ${code}`);
}
// Refreshed after the agencies left: no connection, and they still show as done/has winners.
await waitFor('the page to show the agencies gone', () => page.evaluate(() =>
  document.getElementById('agencies-connected').textContent === '0 connected'), 20000);
state = await pageState(page);
check(state.rows.every((row) => ['done', 'winners'].includes(row.state)),
  'rows after the agencies left: ' + JSON.stringify(state.rows));
if (screenshot) {
  fs.mkdirSync(path.dirname(path.resolve(screenshot)), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log('screenshot: ' + screenshot);
}

// Readable on a phone: nothing wider than the screen (the table scrolls inside its panel).
const before = state.updated;
await page.setViewportSize({ width: 390, height: 844 });
await waitFor('a refresh at phone size', async () => (await pageState(page)).updated !== before, 10000);
const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
check(overflow <= 0, `the page is ${overflow} px wider than a 390 px phone screen`);
check(consoleErrors.length === 0, 'errors in the page: ' + consoleErrors.join('; '));

await context.close();
server.kill('SIGTERM');
const serverCode = await server.exited;
check(serverCode === 0, 'the server exited with ' + serverCode);
fs.rmSync(work, { recursive: true, force: true });
console.log('PASS: dashboard followed 5 agencies and the draw');
