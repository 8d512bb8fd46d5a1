// The app as a new user meets it, all by clicking, in headless Chromium: election, crash and
// recovery, a 2|3 partition with writes on both sides, heal, step mode, rewind, bad input.
// Every wait is for a DOM condition, with a timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { start, root } from './harness.mjs';

const shots = join(root, 'target/screenshots');
let server, browser, page;
const problems = [];

before(async () => {
  ({ server, browser } = await start());
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
});
after(async () => { await browser?.close(); server?.close(); });

const attr = (sel, name) => page.getAttribute(sel, name);
const nodeAttr = async (i, name) => attr(`[data-node="${i}"]`, name);
const logAttr = async (i, name) => Number(await attr(`[data-log="${i}"]`, name));
const roles = () => page.$$eval('[data-node]', (els) => els.map((e) => ({ id: +e.dataset.node, role: e.dataset.role, term: +e.dataset.term })));
const leaders = async () => (await roles()).filter((n) => n.role === 'leader').sort((a, b) => b.term - a.term);
const waitFor = (fn, arg, what, timeout = 20000) =>
  page.waitForFunction(fn, arg, { timeout, polling: 'raf' }).catch((e) => { throw new Error(`waiting for ${what}: ${e.message}`); });
const clickNode = (i) => page.click(`[data-node="${i}"] circle.body`);
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });
async function put(target, value) {
  await page.fill('[data-field="key"]', 'x');
  await page.fill('[data-field="value"]', value);
  await page.selectOption('[data-field="target"]', String(target));
  const before = await page.$$eval('tr[data-op]', (r) => r.length);
  await page.click('[data-action="put"]');
  await waitFor((n) => document.querySelectorAll('tr[data-op]').length > n, before, 'the operation to be listed');
  return before; // its index in the history
}
const outcome = (op) => attr(`tr[data-op="${op}"]`, 'data-outcome');
const waitOutcome = (op, want) => waitFor(([op, want]) => document.querySelector(`tr[data-op="${op}"]`)?.dataset.outcome === want, [op, want], `operation ${op} to be ${want}`);
// Wait until node i's log and commit index equal node j's.
const waitCaughtUp = (i, j) => waitFor(([i, j]) => {
  const a = document.querySelector(`[data-log="${i}"]`).dataset, b = document.querySelector(`[data-log="${j}"]`).dataset;
  return a.last === b.last && a.commit === b.commit && +a.last > 0;
}, [i, j], `n${i} to catch up with n${j}`);

let firstLeader, secondLeader;

test('opening the page elects a leader', async () => {
  await page.goto(`${server.url}#seed=1`);
  await page.selectOption('[data-action="speed"]', '1');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  firstLeader = (await leaders())[0];
  assert.equal((await page.getAttribute('[data-check]', 'data-check')), 'ok');
  await shot('1-leader-elected');
});

test('crashing the leader: another node leads in a higher term', async () => {
  await clickNode(firstLeader.id);
  // The inspector's words say what they mean on hover.
  assert.match(await page.$eval('[data-panel="inspector"] th:text-is("commit")', (th) => th.title), /majority/);
  assert.match(await page.$eval('[data-panel="inspector"] th:text-is("vote")', (th) => th.title), /one vote per term/);
  await page.click('[data-action="crash"]');
  assert.equal(await nodeAttr(firstLeader.id, 'data-role'), 'down');
  await waitFor((old) => [...document.querySelectorAll('[data-node][data-role="leader"]')].some((e) => +e.dataset.node !== old.id && +e.dataset.term > old.term), firstLeader, 'a new leader');
  secondLeader = (await leaders())[0];
  assert.notEqual(secondLeader.id, firstLeader.id);
  assert.ok(secondLeader.term > firstLeader.term);
  await shot('2-new-leader');
});

test('restarting the old leader: it rejoins as a follower with the new entries', async () => {
  const op = await put('leader', 'while-down');
  await waitOutcome(op, 'ok');
  const lastBefore = await logAttr(firstLeader.id, 'data-last');
  await clickNode(firstLeader.id);
  await page.click('[data-action="restart"]');
  await waitFor((id) => document.querySelector(`[data-node="${id}"]`).dataset.role === 'follower', firstLeader.id, 'the old leader to follow');
  await waitCaughtUp(firstLeader.id, secondLeader.id);
  assert.ok(await logAttr(firstLeader.id, 'data-last') > lastBefore, 'it received the entries written while it was down');
  assert.equal(await nodeAttr(firstLeader.id, 'data-term'), await nodeAttr(secondLeader.id, 'data-term'));
  await shot('3-old-leader-rejoined');
});

let minorityEntry, majorityLeader;
test('a 2|3 split: only the majority side commits', async () => {
  const leader = secondLeader.id;
  const minority = [leader, (leader + 1) % 5];
  for (let i = 0; i < 5; i++) await page.selectOption(`[data-group="${i}"]`, minority.includes(i) ? '0' : '1');
  await page.click('[data-action="partition"]');
  const minorityOp = await put(leader, 'minority');
  await waitFor(([id]) => { const d = document.querySelector(`[data-log="${id}"]`).dataset; return +d.last > +d.commit; }, [leader], 'the minority leader to hold an uncommitted entry');
  minorityEntry = await logAttr(leader, 'data-last');
  await waitFor((minority) => [...document.querySelectorAll('[data-node][data-role="leader"]')].some((e) => !minority.includes(+e.dataset.node)), minority, 'a leader on the majority side');
  majorityLeader = (await leaders()).find((l) => !minority.includes(l.id));
  const majorityOp = await put(majorityLeader.id, 'majority');
  await waitOutcome(majorityOp, 'ok');
  await shot('4-partitioned');
  await waitFor((op) => document.querySelector(`tr[data-op="${op}"]`).dataset.outcome !== 'pending', minorityOp, 'the minority write to give up');
  assert.notEqual(await outcome(minorityOp), 'ok', 'the minority side cannot commit');
  assert.ok(await logAttr(leader, 'data-commit') < minorityEntry, 'the minority entry stayed uncommitted');
});

test('healing: the minority\'s uncommitted entries are replaced', async () => {
  const old = secondLeader.id;
  await page.click('[data-action="heal"]');
  await waitFor((id) => document.querySelector(`[data-node="${id}"]`).dataset.role === 'follower', old, 'the old minority leader to follow');
  const leader = (await leaders())[0];
  await waitCaughtUp(old, leader.id);
  const term = await attr(`[data-log="${old}"] [data-index="${minorityEntry}"]`, 'data-entry-term');
  assert.ok(Number(term) >= majorityLeader.term, `entry ${minorityEntry} now holds term ${term}, from the majority`);
  assert.equal(await page.getAttribute('[data-check]', 'data-check'), 'ok', 'all checks still pass');
  await shot('5-healed');
});

const snapshot = () => page.evaluate(() => ({
  time: document.querySelector('[data-time]').dataset.time,
  nodes: [...document.querySelectorAll('[data-node]')].map((e) => `${e.dataset.node}:${e.dataset.role}:${e.dataset.term}`),
  logs: [...document.querySelectorAll('[data-log]')].map((e) => `${e.dataset.log}:${e.dataset.last}:${e.dataset.commit}`),
  messages: [...document.querySelectorAll('[data-msg]')].map((e) => `${e.dataset.id}:${e.dataset.msg}:${e.dataset.from}>${e.dataset.to}`).sort(),
}));

test('step mode: one click runs exactly one event, visibly', async () => {
  await page.click('[data-action="pause"]');
  await page.waitForSelector('[data-action="play"]');
  for (let i = 0; i < 3; i++) {
    const before = await snapshot();
    const visible = Number(await attr('[data-time]', 'data-visible'));
    await page.click('[data-action="step"]');
    await waitFor((v) => Number(document.querySelector('[data-time]').dataset.visible) === v + 1, visible, 'one more event');
    const after = await snapshot();
    assert.notDeepEqual(after, before, 'the step changed what is shown');
    assert.equal(Number(await attr('[data-time]', 'data-visible')), visible + 1, 'exactly one');
  }
});

test('next: runs to the next committed write and stops there', async () => {
  // Still paused from step mode: a write waits until "Next" runs the cluster to its commit.
  const leader = (await leaders())[0].id;
  const commit = await logAttr(leader, 'data-commit');
  const time = Number(await attr('[data-time]', 'data-time'));
  await put('leader', 'next');
  await page.click('[data-action="step-interesting"]');
  await waitFor(([id, c]) => Number(document.querySelector(`[data-log="${id}"]`).dataset.commit) > c, [leader, commit], 'the write to commit');
  assert.ok(Number(await attr('[data-time]', 'data-time')) > time, 'time moved on');
  assert.ok(await page.$('[data-action="play"]'), 'and the run stays paused');
});

test('rewind: dragging the timeline back shows the earlier state exactly', async () => {
  // The timeline is in time: pause as a user would (after a frame, not mid-step).
  await page.click('[data-action="play"]');
  await page.click('[data-action="pause"]');
  const then = await snapshot();
  await page.click('[data-action="play"]');
  await waitFor((t) => Number(document.querySelector('[data-time]').dataset.time) > t + 1500, Number(then.time), 'time to pass');
  await clickNode(0);
  await page.click('[data-action="crash"]');
  await waitFor((t) => Number(document.querySelector('[data-time]').dataset.time) > t + 3000, Number(then.time), 'more time to pass');
  await page.click('[data-action="pause"]');
  await page.$eval('[data-action="timeline"]', (el, t) => { el.value = t; el.dispatchEvent(new Event('input', { bubbles: true })); }, then.time);
  await waitFor((t) => document.querySelector('[data-time]').dataset.time === t, then.time, 'the rewind');
  assert.deepEqual(await snapshot(), then);
  await shot('6-rewound');
});

test('a message can be held, released, duplicated and dropped; a link cut one way', async () => {
  if (await page.$('[data-action="pause"]')) await page.click('[data-action="pause"]');
  // Step until a message is in flight (a heartbeat comes within a few events).
  for (let i = 0; i < 200 && !(await page.$('[data-msg]')); i++) await page.click('[data-action="step"]');
  const id = await attr('[data-msg]', 'data-id');
  const msg = `[data-msg][data-id="${id}"]`;
  // Two messages on one link can be drawn over each other: click this one itself, as the
  // link's hit line is clicked below, rather than whatever lies on top at its position.
  await page.$eval(`${msg} > *`, (c) => c.dispatchEvent(new MouseEvent('click', { bubbles: true })));
  await page.click('[data-action="hold"]');
  await waitFor((m) => document.querySelector(m)?.classList.contains('held'), msg, 'the message to be held');
  await page.click('[data-action="release"]');
  await waitFor((m) => !document.querySelector(m)?.classList.contains('held'), msg, 'the message to be released');
  const before = await page.$$eval('[data-msg]', (m) => m.length);
  await page.click('[data-action="duplicate"]');
  await waitFor((n) => document.querySelectorAll('[data-msg]').length === n + 1, before, 'a duplicate in flight');
  await page.click('[data-action="drop"]');
  await waitFor((m) => !document.querySelector(m), msg, 'the message to be gone');
  // The link's wide transparent hit line is what a user's click lands on.
  await page.$eval('[data-link="0-1"] line.hit', (l) => l.dispatchEvent(new MouseEvent('click', { bubbles: true })));
  await page.click('[data-action="cut-ab"]');
  await waitFor(() => document.querySelector('[data-link="0-1"]').dataset.cut === 'ab', null, 'n0→n1 to be cut');
  await page.click('[data-action="uncut"]');
  await waitFor(() => document.querySelector('[data-link="0-1"]').dataset.cut === '', null, 'the link to be open');
});

test('bad input is refused with a message and the run is kept', async () => {
  const before = await snapshot();
  await page.fill('input.seed', 'twelve');
  await page.click('[data-action="reset"]');
  await page.waitForSelector('[data-notice]');
  assert.match(await page.textContent('[data-notice]'), /whole number/);
  assert.deepEqual(await snapshot(), before, 'the current session is not lost');
  await page.fill('[data-field="latency"]', '-3');
  await page.click('[data-action="set-network"]');
  assert.match(await page.textContent('[data-notice]'), /Latency must be/);
  await page.goto('about:blank');
  await page.goto(`${server.url}#s=%7Bnot-json`);
  await page.waitForSelector('[data-notice]');
  assert.match(await page.textContent('[data-notice]'), /Could not open the link/);
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a fresh run to elect a leader anyway');
});

test('a shared link replays the run exactly', async () => {
  await page.goto('about:blank');
  await page.goto(`${server.url}#seed=5`);
  await page.selectOption('[data-action="speed"]', '1');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await clickNode(Number(await attr('[data-node][data-role="leader"]', 'data-node')));
  await page.click('[data-action="crash"]');
  await waitFor(() => document.querySelectorAll('[data-node][data-role="leader"]').length === 1 && document.querySelector('[data-node][data-role="down"]'), null, 'a new leader');
  await page.click('[data-action="pause"]');
  const then = await snapshot();
  await page.click('[data-action="share"]');
  const link = page.url();
  assert.match(link, /#s=/);
  assert.match(link, new RegExp(`&at=${then.time}$`), 'the link says the moment it was made at');
  // It opens paused at that moment, showing the same state, with the run before it there to
  // rewind through.
  const other = await browser.newPage();
  await other.goto(link);
  await other.waitForFunction((t) => document.querySelector('[data-time]')?.dataset.time === t && !document.querySelector('[data-replaying]'), then.time, { timeout: 20000 });
  assert.ok(await other.$('[data-action="play"]'), 'paused');
  const state = () => other.evaluate(() => ({
    nodes: [...document.querySelectorAll('[data-node]')].map((e) => `${e.dataset.node}:${e.dataset.role}:${e.dataset.term}`),
    logs: [...document.querySelectorAll('[data-log]')].map((e) => `${e.dataset.log}:${e.dataset.last}:${e.dataset.commit}`),
  }));
  assert.deepEqual(await state(), { nodes: then.nodes, logs: then.logs });
  assert.ok(await other.$('[data-marker="crash"]'), 'the crash is on the timeline');
  const before = String(Number(then.time) - 500);
  await other.$eval('[data-action="timeline"]', (el, t) => { el.value = t; el.dispatchEvent(new Event('input', { bubbles: true })); }, before);
  await other.waitForFunction((t) => document.querySelector('[data-time]').dataset.time === t, before, { timeout: 20000 });
  await other.close();
});

test('gossip: a 2|3 split takes writes on both sides, reads differ, healing converges', async () => {
  await page.goto('about:blank');
  await page.goto(`${server.url}#seed=3&protocol=gossip`);
  await page.selectOption('[data-action="speed"]', '1');
  await waitFor(() => document.querySelectorAll('[data-node][data-role="replica"]').length === 5, null, 'five replicas');
  for (let i = 0; i < 5; i++) await page.selectOption(`[data-group="${i}"]`, i < 2 ? '0' : '1');
  await page.click('[data-action="partition"]');
  await waitOutcome(await put(0, 'left'), 'ok');
  await waitOutcome(await put(2, 'right'), 'ok');
  const cell = (node) => `[data-kv="${node}"] [data-key="x"]`;
  await waitFor(([a, b]) => document.querySelector(a)?.textContent === 'left' && document.querySelector(b)?.textContent === 'right', [cell(1), cell(4)], 'each side to gossip its own write');
  async function get(target) {
    await page.selectOption('[data-field="target"]', String(target));
    const op = await page.$$eval('tr[data-op]', (r) => r.length);
    await page.click('[data-action="get"]');
    await waitOutcome(op, 'ok');
    return page.textContent(`tr[data-op="${op}"] td:nth-child(3)`);
  }
  assert.equal(await get(1), 'read "left"');
  assert.equal(await get(3), 'read "right"');
  assert.equal(await page.getAttribute('[data-panel="state"]', 'data-converged'), 'false');
  assert.equal(await page.getAttribute('[data-check]', 'data-check'), 'ok', 'diverging is what gossip does, not a bug');
  await shot('7-gossip-split');
  await page.click('[data-action="heal"]');
  await waitFor(() => document.querySelector('[data-panel="state"]').dataset.converged === 'true', null, 'the replicas to converge');
  const values = await page.$$eval('[data-key="x"]', (cells) => cells.map((c) => c.textContent));
  assert.equal(new Set(values).size, 1, `one value everywhere: ${values}`);
  assert.ok(['left', 'right'].includes(values[0]), 'the last writer wins');
  await shot('8-gossip-converged');
});

test('side by side: Raft and gossip under the same 2|3 split', async () => {
  await page.goto('about:blank');
  await page.goto(`${server.url}#seed=3&protocol=raft&compare=gossip`);
  await page.selectOption('[data-action="speed"]', '1');
  const raft = '[data-pane="0"]', gossip = '[data-pane="1"]';
  await waitFor((r) => document.querySelector(`${r} [data-node][data-role="leader"]`), raft, 'a Raft leader');
  assert.equal(await page.$$eval(`${gossip} [data-node][data-role="replica"]`, (n) => n.length), 5);
  const leader = Number(await attr(`${raft} [data-node][data-role="leader"]`, 'data-node'));
  const minority = [leader, (leader + 1) % 5];
  for (let i = 0; i < 5; i++) await page.selectOption(`[data-group="${i}"]`, minority.includes(i) ? '0' : '1');
  await page.click('[data-action="partition"]');
  assert.ok(await page.$$eval('[data-pane] [data-cut="abba"]', (l) => l.length) >= 12, 'one click cut the links in both clusters');
  await waitFor(([r, m]) => [...document.querySelectorAll(`${r} [data-node][data-role="leader"]`)].some((e) => !m.includes(+e.dataset.node)), [raft, minority], 'a Raft leader on the majority side');
  const majority = Number(await page.$$eval(`${raft} [data-node][data-role="leader"]`, (els, m) => els.find((e) => !m.includes(+e.dataset.node)).dataset.node, minority));
  const minorityOp = await put(leader, 'minority');
  const majorityOp = await put(majority, 'majority');
  await waitOutcome(majorityOp, 'ok');
  await waitFor((op) => document.querySelector(`tr[data-op="${op}"]`).dataset.outcomeBeside === 'ok', minorityOp, 'gossip to accept the minority write');
  await waitFor((op) => document.querySelector(`tr[data-op="${op}"]`).dataset.outcome !== 'pending', minorityOp, 'Raft to give up on the minority write');
  assert.notEqual(await outcome(minorityOp), 'ok', 'Raft\'s minority side cannot commit');
  assert.equal(await attr(`tr[data-op="${majorityOp}"]`, 'data-outcome-beside'), 'ok', 'gossip accepts both');
  const cell = (node) => `${gossip} [data-kv="${node}"] [data-key="x"]`;
  assert.equal(await page.textContent(cell(leader)), 'minority');
  await waitFor(([a, b]) => document.querySelector(a)?.textContent === 'majority' && document.querySelector(b)?.textContent === 'minority', [cell(majority), cell(leader)], 'the gossip sides to differ');
  assert.equal(await attr(`${gossip}[data-panel="state"]`, 'data-converged'), 'false');
  await shot('9-side-by-side-split');
  await page.click('[data-action="heal"]');
  await waitFor((g) => document.querySelector(`${g}[data-panel="state"]`).dataset.converged === 'true', gossip, 'gossip to converge');
  const values = await page.$$eval(`${gossip} [data-key="x"]`, (c) => c.map((x) => x.textContent));
  assert.equal(new Set(values).size, 1, `one value everywhere: ${values}`);
  const raftLeader = Number(await attr(`${raft} [data-node][data-role="leader"]`, 'data-node'));
  await waitFor(([r, a, b]) => {
    const x = document.querySelector(`${r} [data-log="${a}"]`).dataset, y = document.querySelector(`${r} [data-log="${b}"]`).dataset;
    return x.last === y.last && x.commit === y.commit;
  }, [raft, leader, raftLeader], 'Raft\'s minority to catch up');
  await shot('10-side-by-side-healed');
});

test('the settings row shows the switches of the models picked for the next run, and no others', async () => {
  const switches = () => page.$$eval('.topbar input[type="checkbox"][data-field]:not([data-field="slow-mo"]):not([data-field="slow-motion"])', (es) => es.map((e) => e.dataset.field));
  // On screen now: Raft beside gossip.
  assert.deepEqual(await switches(), ['pre-vote', 'compact', 'ack-before-commit', 'siblings']);
  await page.selectOption('[data-field="compare"]', '');
  await page.selectOption('[data-field="protocol"]', 'consul');
  await waitFor(() => document.querySelector('.topbar [data-field="lifeguard"]'), null, 'Consul\'s switches');
  assert.deepEqual(await switches(), ['pre-vote', 'compact', 'ack-before-commit', 'lifeguard']);
  await page.selectOption('[data-field="protocol"]', 'gossip');
  await waitFor(() => !document.querySelector('.topbar [data-field="lifeguard"]'), null, 'gossip\'s switches');
  assert.deepEqual(await switches(), ['siblings']);
  // A switch ticked, hidden and shown again comes back as itself, unticked.
  await page.check('[data-field="siblings"]');
  await page.selectOption('[data-field="protocol"]', 'swim');
  await waitFor(() => document.querySelector('.topbar [data-field="lifeguard"]'), null, 'SWIM\'s switch');
  assert.equal(await page.isChecked('[data-field="lifeguard"]'), false);
  await page.selectOption('[data-field="protocol"]', 'causal');
  await waitFor(() => !document.querySelector('.topbar [data-field="lifeguard"]'), null, 'no switch for causal');
  assert.deepEqual(await switches(), []);
});

test('no error reached the console', () => {
  assert.deepEqual(problems.filter((p) => !p.includes('integrity')), []);
});
