// Browser test of the operator console (issues 13, 22, 23): Debian's chromium, headless, driven by
// playwright-core, loads the dashboard of a real lottery-server (with an admin token file) in a
// browser that asks for Spanish (es-AR) while real agency-cli processes upload one after another,
// and checks what an operator would look at: Spanish labels and es-AR numbers and times, the
// table fills, each agency turns "subiendo" then "completa" while the draw keeps waiting, the rate
// falls to zero once nobody uploads, the switch to English and back. Then, with two agencies
// never connected, the operator closes the sales: the confirmation names the agencies not done
// and the bets stored, a wrong token is refused (401) on the page, the right one closes, the
// sealed panel shows the seal GET /api/status gives, and the draw runs over the three agencies.
// Before the close the operator disables agency 5 from its row: the confirmation says what
// happens, the row reads "deshabilitada", its HELLO is refused (agency_disabled) and the error line
// says so; after the close the rows have no switch any more.
// Last, a server without a token file and with a scheduled close: the time shown, the 403 said.
// Saves screenshots for the docs.
//
//   node dashboard.test.mjs --bin BUILD/bin --data DIR [--screenshot FILE] [--shots DIR]
//
// --shots DIR: also admin-close-confirm.png, admin-agency-disable.png and admin-sealed.png there
// (docs/ has copies).
// Exit 0: passed; anything else: failed (also without chromium or playwright-core: make test
// installs both).
import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CHROMIUM = process.env.LOTTERY_CHROMIUM || '/usr/bin/chromium';
const AGENCIES = 5;
// Agencies that upload before the operator closes the sales; the others never connect.
const UPLOADING = 3;
const TOKEN = 'browser-test-admin-token-0123456789';
const es = new Intl.NumberFormat('es-AR');
const TIMEOUT_MS = 180000;

function argument(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const binDir = argument('--bin');
let dataDir = argument('--data');
const screenshot = argument('--screenshot', '');
const shots = argument('--shots', '');
if (!binDir || !dataDir) {
  console.error('usage: node dashboard.test.mjs --bin BUILD/bin --data DIR [--screenshot FILE] ' +
    '[--shots DIR]');
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

// /api/status as this test sees it (with the token), or null while it cannot be read.
async function apiStatus(port) {
  try {
    const reply = await fetch(`http://127.0.0.1:${port}/api/status`,
      { headers: { Authorization: 'Bearer ' + TOKEN } });
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
      lastBatch: tr.children[4].textContent,
      winners: tr.children[5].textContent,
    })),
    draw: document.getElementById('draw-state').dataset.state,
    drawText: document.getElementById('draw-state').textContent,
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

const tokenFile = path.join(work, 'admin.token');
fs.writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
const server = run('server', path.join(binDir, 'lottery-server'), ['--port', '0', '--agencies',
  String(AGENCIES), '--storage', path.join(work, 'bets.csv'), '--admin-port', '0',
  '--admin-token-file', tokenFile]);
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
  locale: 'es-AR',
  timezoneId: 'America/Argentina/Buenos_Aires',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const page = context.pages()[0] || await context.newPage();
const consoleErrors = [];
// Chromium reports every 401 answer as a console error: the ones this test provokes (the page
// before its token, the wrong token on purpose) are expected; anything else is not.
page.on('console', (message) => {
  if (message.type() === 'error' && !/status of 401/.test(message.text()))
    consoleErrors.push(message.text());
});
page.on('pageerror', (error) => consoleErrors.push(error.message));
await page.goto(dashboard);
const text = (selector) => page.locator(selector).textContent();

// The server has a token: the page asks for it (in Spanish) and opens with it.
await page.locator('#token-box').waitFor({ state: 'visible', timeout: 20000 });
check(await text('label[for=token]') === 'Esta consola necesita el token de administración',
  'token box label: ' + await text('label[for=token]'));
await page.fill('#token', TOKEN);
await page.click('#token-form button');

// The table fills with every expected agency, none connected yet; the draw waits; Spanish.
let state = await waitFor('the table to fill', async () => {
  const s = await pageState(page);
  return s.rows.length === AGENCIES ? s : null;
}, 20000);
check(state.rows.every((row) => row.state === 'not_connected'), 'rows before any agency: ' +
  JSON.stringify(state.rows));
check(state.draw === 'waiting' && state.drawText === 'en espera',
  `draw before any agency: ${state.draw} "${state.drawText}"`);
check(await page.evaluate(() => document.documentElement.lang) === 'es-AR', 'page language');
const spanish = { 'header h1 span': 'consola del operador', '#agencies th:nth-child(2)': 'Estado',
  '#health': 'lista', '#agencies tbody tr:first-child .state': 'sin conectar',
  '#sales-open .sales-state': 'Venta abierta', '#sales-scheduled': 'Sin cierre programado',
  '#close-sales': 'Cerrar la venta', '#language': 'English' };
for (const [selector, expected] of Object.entries(spanish))
  check(await text(selector) === expected, `${selector}: "${await text(selector)}"`);

// An error line names who: a peer that sends an empty frame before any HELLO is closed with
// malformed_frame, and the page says so with its address.
const rogue = net.connect(Number(ports.agencies), '127.0.0.1', () =>
  rogue.write(Buffer.from([0, 0, 0, 0])));
rogue.on('error', () => {});
rogue.on('data', () => {});
const errorLine = await waitFor('the error line', async () => {
  const line = await page.locator('#errors li').first().textContent();
  return line.includes('malformed_frame') ? line : null;
}, 20000);
rogue.destroy();
const expectedLine = new RegExp('^\\d{2}:\\d{2}:\\d{2} · agencia desconocida \\(antes del HELLO\\) · ' +
  '(::ffff:)?127\\.0\\.0\\.1 · conexión cerrada malformed_frame$');
check(expectedLine.test(errorLine), 'error line: ' + errorLine);

// A HELLO for an agency the lottery does not expect (99) is refused with invalid_agency; the line
// names the number the HELLO claimed, so the operator knows which shop is misconfigured.
const stranger = net.connect(Number(ports.agencies), '127.0.0.1', () =>
  stranger.write(Buffer.from([0, 0, 0, 9, 0x01, 0, 1, 0, 0, 0, 99, 0, 0])));
stranger.on('error', () => {});
stranger.on('data', () => {});
const strangerLine = await waitFor('the invalid_agency line', async () => {
  const line = await page.locator('#errors li').first().textContent();
  return line.includes('invalid_agency') ? line : null;
}, 20000);
stranger.destroy();
check(new RegExp('^\\d{2}:\\d{2}:\\d{2} · agencia 99 según su HELLO \\(rechazado\\) · ' +
  '(::ffff:)?127\\.0\\.0\\.1 · conexión cerrada invalid_agency$').test(strangerLine),
  'invalid_agency line: ' + strangerLine);

// One agency at a time: each goes uploading -> done while the draw keeps waiting (the agency then
// waits for the winners, so its process stays). Agencies UPLOADING+1.. never connect.
const files = [];
const agencies = [];
let sawUploading = 0;
for (let agency = 1; agency <= UPLOADING; ++agency) {
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
    check(await text('#agencies tbody tr:first-child .state') === 'subiendo', 'uploading label');
    uploading = true;
    agencies[0].kill('SIGCONT');
  }
  state = await waitFor(`agency ${agency} to show done`, async () => {
    const s = await pageState(page);
    const row = s.rows[agency - 1];
    if (row.state === 'uploading' && row.bets !== '0') uploading = true;
    return row.state === 'done' ? s : null;
  });
  sawUploading += uploading ? 1 : 0;
  check(state.draw === 'waiting', `draw after ${agency} agencies: ${state.draw}`);
  check(state.drawDetail === `${agency} de ${AGENCIES} agencias completas`,
    `draw detail after ${agency} agencies: ${state.drawDetail}`);
  check(state.rows.slice(agency).every((row) => row.state === 'not_connected'),
    'rows not started yet: ' + JSON.stringify(state.rows));
  console.log(`agency ${agency}: ${uploading ? 'seen uploading, then ' : ''}done; ` +
    `draw ${state.draw}`);
}
check(sawUploading >= 1, 'no agency was ever seen uploading');

// es-AR numbers and times: "68.456", "14:03:11" (not "68,456", "2:03:11 PM"); the rate falls to
// zero once nobody uploads (the agencies wait for the draw).
let before = await apiStatus(ports.admin);
check(before.totals.bets_stored >= 1000, 'bets stored: ' + before.totals.bets_stored);
await waitFor('the page to show the bets stored in es-AR', async () =>
  await text('#bets-stored') === es.format(before.totals.bets_stored), 10000);
check(/^\d{1,3}(\.\d{3})+$/.test(await text('#bets-stored')), 'es-AR number: ' +
  await text('#bets-stored'));
state = await pageState(page);
check(state.rows[0].bets === es.format(before.agencies[0].bets_stored),
  `agency 1 bets "${state.rows[0].bets}"`);
check(/^\d{2}:\d{2}:\d{2}$/.test(state.rows[0].lastBatch),
  'es-AR time: ' + state.rows[0].lastBatch);
await waitFor('the rate to fall to zero', async () =>
  await text('#rate') === '0 apuestas/s', 15000);

// The switch: English labels and numbers, then back to Spanish.
await page.click('#language');
check(await text('#draw-state') === 'waiting', 'English draw: ' + await text('#draw-state'));
check(await text('#close-sales') === 'Close the sales', 'English button');
check(await text('#bets-stored') === before.totals.bets_stored.toLocaleString('en'),
  'English number: ' + await text('#bets-stored'));
await page.click('#language');
check(await text('#draw-state') === 'en espera', 'back to Spanish: ' + await text('#draw-state'));

// Disabling agency 5 (never connected) from its row: the confirmation says what happens.
check(await text('#agencies tbody tr[data-agency="5"] button.switch') === 'Deshabilitar',
  'row 5 button: ' + await text('#agencies tbody tr[data-agency="5"] button.switch'));
await page.click('#agencies tbody tr[data-agency="5"] button.switch');
await page.locator('#switch-dialog').waitFor({ state: 'visible', timeout: 5000 });
check(await text('#switch-title') === '¿Deshabilitar la agencia 5?', 'switch title: ' +
  await text('#switch-title'));
check((await text('#switch-effect')).startsWith('Sus conexiones nuevas se rechazan'),
  'switch effect: ' + await text('#switch-effect'));
check((await text('#switch-bets')).endsWith('(0 apuestas).'), 'switch bets: ' +
  await text('#switch-bets'));
check(await text('#switch-undo') ===
  'Se puede volver a habilitar hasta el cierre de la venta, no después.',
  'switch undo: ' + await text('#switch-undo'));
check(await page.inputValue('#switch-token') === TOKEN, 'the tab\'s token is not filled in');
if (shots) await page.screenshot({ path: path.join(shots, 'admin-agency-disable.png') });
await page.click('#switch-confirm');
await page.locator('#switch-dialog').waitFor({ state: 'hidden', timeout: 30000 });
await waitFor('row 5 to read disabled', async () =>
  await text('#agencies tbody tr[data-agency="5"] .state') === 'deshabilitada' &&
  await text('#agencies tbody tr[data-agency="5"] button.switch') === 'Habilitar', 10000);
const disabledRow = await waitFor('/api/status to say agency 5 is disabled', async () => {
  const status = await apiStatus(ports.admin);
  const row = status && status.agencies.find((a) => a.agency === 5);
  return row && row.disabled ? row : null;
}, 5000);
check(disabledRow.state === 'disabled', 'status row 5: ' + JSON.stringify(disabledRow));
await waitFor('the log line of the switch', () => readLog('server').includes(
  'action: agencia_deshabilitada | result: success | agencia: 5 | motivo: operador'), 10000);
// Its HELLO (version 2) is refused with agency_disabled; the error line names it.
const disabledShop = net.connect(Number(ports.agencies), '127.0.0.1', () =>
  disabledShop.write(Buffer.from([0, 0, 0, 9, 0x01, 0, 2, 0, 0, 0, 5, 0, 0])));
const refusal = [];
disabledShop.on('error', () => {});
disabledShop.on('data', (chunk) => refusal.push(chunk));
const disabledLine = await waitFor('the agency_disabled line', async () => {
  const line = await page.locator('#errors li').first().textContent();
  return line.includes('agency_disabled') ? line : null;
}, 20000);
disabledShop.destroy();
check(new RegExp('^\\d{2}:\\d{2}:\\d{2} · agencia 5 · (::ffff:)?127\\.0\\.0\\.1 · ' +
  'conexión cerrada agency_disabled$').test(disabledLine),
  'agency_disabled line: ' + disabledLine);
const answer = Buffer.concat(refusal);
check(answer.length >= 7 && answer[4] === 0x0a && answer.readUInt16BE(5) === 19,
  'the HELLO of agency 5 got ' + answer.toString('hex'));

// The close: the confirmation says which agencies are not done and how many bets go in.
check(before.sales.state === 'open' && before.sales.close_supported, 'sales before: ' +
  JSON.stringify(before.sales));
await page.click('#close-sales');
await page.locator('#close-dialog').waitFor({ state: 'visible', timeout: 5000 });
const notDone = await text('#close-agencies');
check(notDone === `No terminaron 2 de ${AGENCIES} agencias: 4 y 5.`, 'dialog agencies: ' + notDone);
const betsLine = await text('#close-bets');
check(betsLine.includes(es.format(before.totals.bets_stored) + ' apuestas guardadas'),
  'dialog bets: ' + betsLine);
check((await text('#close-dialog')).includes('no se acepta ninguna apuesta más'),
  'dialog effect: ' + await text('#close-dialog'));
if (shots) {
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'admin-close-confirm.png') });
}
// A wrong token is refused, on the page, and nothing closes.
await page.fill('#close-token', 'not-the-token-at-all');
await page.click('#close-confirm');
await page.locator('#close-error').waitFor({ state: 'visible', timeout: 10000 });
check(await page.locator('#close-error').getAttribute('data-status') === '401',
  'wrong token: ' + await text('#close-error'));
check((await text('#close-error')).startsWith('El token no es correcto (401)'),
  'wrong token text: ' + await text('#close-error'));
check((await apiStatus(ports.admin)).sales.state === 'open', 'closed with a wrong token');
// The right one closes: the sealed panel shows what /api/status says.
await page.fill('#close-token', TOKEN);
await page.click('#close-confirm');
await page.locator('#sales-closed').waitFor({ state: 'visible', timeout: 30000 });
check(!(await page.locator('#close-dialog').isVisible()), 'the dialog stayed open');
// /api/status reads a snapshot of the main thread at most a moment old: it follows shortly.
const sales = await waitFor('/api/status to say closed', async () => {
  const status = await apiStatus(ports.admin);
  return status && status.sales.state === 'closed' ? status.sales : null;
}, 5000);
check(sales.state === 'closed' && sales.reason === 'operador', 'sales after: ' +
  JSON.stringify(sales));
check(/^[0-9a-f]{64}$/.test(sales.seal), 'seal: ' + sales.seal);
check(sales.bets === before.totals.bets_stored && sales.agencies_done === UPLOADING,
  `sealed ${sales.bets} bets of ${sales.agencies_done} agencies, ` +
  `stored ${before.totals.bets_stored}`);
check(await text('#seal') === sales.seal, `page seal ${await text('#seal')} vs ${sales.seal}`);
check(await text('#closed-reason') === 'la cerró el operador', 'reason: ' +
  await text('#closed-reason'));
check(await text('#closed-bets') === es.format(sales.bets), 'bets: ' + await text('#closed-bets'));
check(await text('#closed-agencies') === String(UPLOADING), 'agencies: ' +
  await text('#closed-agencies'));
const closedAt = await text('#closed-at');
check(!/AM|PM|m\./i.test(closedAt) && /\b\d{1,2}:\d{2}:\d{2}$/.test(closedAt),
  'close time: ' + closedAt);
console.log('sales closed by the operator, seal ' + sales.seal);

// The draw runs at once over those agencies' bets: each row shows its winners (counted here from
// the files), and the agencies get them and exit.
state = await waitFor('the draw to complete', async () => {
  const s = await pageState(page);
  return s.draw === 'completed' && s.rows.slice(0, UPLOADING).every((row) => row.winners !== '–')
    ? s : null;
}, 30000);
check(state.drawText === 'realizado', 'draw text: ' + state.drawText);
// Closed: a switch could not change the draw, so the rows offer none; agency 5 stays disabled.
check(await page.locator('#agencies button.switch').count() === 0, 'switch buttons after close');
check(state.rows[4].state === 'disabled', 'row 5 after the close: ' + state.rows[4].state);
for (let agency = 1; agency <= UPLOADING; ++agency) {
  const expected = winnersInFile(files[agency - 1]);
  const row = state.rows[agency - 1];
  check(row.winners === es.format(expected),
    `agency ${agency} winners ${row.winners}, the file has ${expected}`);
  check(row.state === (expected > 0 ? 'winners' : 'done'), `agency ${agency} state ${row.state}`);
}
for (let index = 0; index < agencies.length; ++index) {
  const code = await agencies[index].exited;
  check(code === 0, `agency ${index + 1} exited with ${code}`);
}
// Refreshed after the agencies left: no connection, and they still show as done/has winners.
await waitFor('the page to show the agencies gone', () => page.evaluate(() =>
  document.getElementById('agencies-connected').dataset.count === '0'), 20000);
state = await pageState(page);
check(state.rows.slice(0, UPLOADING).every((row) => ['done', 'winners'].includes(row.state)),
  'rows after the agencies left: ' + JSON.stringify(state.rows));
if (shots) await page.screenshot({ path: path.join(shots, 'admin-sealed.png') });
if (screenshot) {
  fs.mkdirSync(path.dirname(path.resolve(screenshot)), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log('screenshot: ' + screenshot);
}

// Readable on a phone: nothing wider than the screen (the table scrolls inside its panel).
const updated = state.updated;
await page.setViewportSize({ width: 390, height: 844 });
await waitFor('a refresh at phone size', async () =>
  (await pageState(page)).updated !== updated, 10000);
const overflow = await page.evaluate(() =>
  document.documentElement.scrollWidth - window.innerWidth);
check(overflow <= 0, `the page is ${overflow} px wider than a 390 px phone screen`);
check(consoleErrors.length === 0, 'errors in the page: ' + consoleErrors.join('; '));

server.kill('SIGTERM');
const serverCode = await server.exited;
check(serverCode === 0, 'the server exited with ' + serverCode);

// A second server, without a token file and with a scheduled close: the page shows the
// scheduled time in es-AR, and the close button gets the server's 403 explained.
const second = run('server-2', path.join(binDir, 'lottery-server'), ['--port', '0',
  '--agencies', '2', '--storage', path.join(work, 'bets-2.csv'), '--admin-port', '0',
  '--sales-close', '2030-12-06T21:00:00-03:00']);
const secondAdmin = await waitFor('the second server to listen', () => {
  check(second.exitCode === null, 'the second server exited');
  const admin = /action: admin_listen \| result: success \| ip: \S+ \| port: (\d+)/
    .exec(readLog('server-2'));
  return admin ? admin[1] : null;
}, 30000);
await page.setViewportSize({ width: 1280, height: 900 });
await page.goto(`http://127.0.0.1:${secondAdmin}/`);
await waitFor('the scheduled close', async () =>
  await text('#sales-scheduled') === 'Cierre programado: 6 de dic de 2030, 21:00:00', 10000);
await page.click('#close-sales');
await page.fill('#close-token', '');
await page.click('#close-confirm');
await page.locator('#close-error').waitFor({ state: 'visible', timeout: 10000 });
check(await page.locator('#close-error').getAttribute('data-status') === '403' &&
  (await text('#close-error')).startsWith('El servidor no tiene token de administración (403)'),
  'no token file: ' + await text('#close-error'));
await context.close();
second.kill('SIGTERM');
check(await second.exited === 0, 'the second server did not exit cleanly');
fs.rmSync(work, { recursive: true, force: true });
console.log(`PASS: dashboard in es-AR followed ${UPLOADING} agencies, the operator's close and ` +
  'the sealed draw');
