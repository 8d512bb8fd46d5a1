// Consul in the page, by clicking: three servers on Raft and five agents in one SWIM pool. An
// agent crashed turns suspect, then dead, in every member's list, and the leader drops its
// service from every server's catalog. The leader cut off from the others after the majority
// took a newer write: read there and at the new leader in the three query modes, and see which
// answered what. The library's comparison: the same reads in the three modes against a leader
// cut off and one paused past its lease, side by side. Every wait is for a DOM condition, with
// a timeout. Screenshots: target/screenshots/consul-deregistered.png, consul-read-modes.png,
// consul-compare-modes.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { start, openPage, root } from './harness.mjs';

let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

const shots = join(root, 'target/screenshots');
const servers = [0, 1, 2];
// Make a request from the clients panel and wait for its outcome: { outcome, text }. The
// leader's own catalog writes are listed there too, so the request is found by what it is.
async function request(page, waitFor, action, node, value) {
  const before = await page.$$eval('tr[data-op]', (rows) => Math.max(-1, ...rows.map((r) => +r.dataset.op)));
  const key = await page.inputValue('[data-field="key"]');
  if (value) await page.fill('[data-field="value"]', value);
  const what = action === 'put' ? `put ${key}=${value}`
    : action === 'read-consistent' ? `get ${key}` : `get ${key} (${action.slice(5)})`;
  await page.selectOption('[data-field="target"]', String(node));
  await page.click(`[data-action="${action}"]`);
  await waitFor(([b, w]) => {
    const r = [...document.querySelectorAll('tr[data-op]')].find((row) => +row.dataset.op > b && row.querySelector('td:nth-child(2)').textContent === w);
    return ['ok', 'fail', 'info'].includes(r?.dataset.outcome);
  }, [before, what], `${what} settled`, 30000);
  return page.$$eval('tr[data-op]', (rows, [b, w]) => {
    const r = rows.find((row) => +row.dataset.op > b && row.querySelector('td:nth-child(2)').textContent === w);
    return { outcome: r.dataset.outcome, text: r.querySelector('td:nth-child(3)').textContent };
  }, [before, what]);
}
const listing = ([m, s]) => s.map((k) => document.querySelector(`[data-kv="${k}"] [data-key="svc/n${m}"]`)?.textContent);

test('crash an agent: suspect, then dead in every list, and its service gone from every server\'s catalog', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=3&protocol=consul&nodes=8');
  await page.selectOption('[data-action="speed"]', '10');
  await waitFor(() => document.querySelectorAll('[data-node][data-role="agent"]').length === 5, null, 'five agents');
  await waitFor((s) => s.every((k) => document.querySelector(`[data-kv="${k}"] [data-key="svc/n6"]`)?.textContent === 'web'), servers, 'n6 registered on every server', 30000);
  await page.selectOption('[data-action="speed"]', '1');
  await page.click('[data-node="6"] circle.body');
  await page.click('.actions-bar [data-action="crash"]');
  await waitFor(() => [...document.querySelectorAll('[data-members]')].some((r) => r.querySelector('[data-of="6"]').dataset.memberState === 'suspect'), null, 'n6 suspected', 30000);
  await page.selectOption('[data-action="speed"]', '10');
  await waitFor(() => [...document.querySelectorAll('[data-members]')].filter((r) => r.dataset.members !== '6').every((r) => r.querySelector('[data-of="6"]').dataset.memberState === 'dead'), null, 'n6 dead in every list', 60000);
  await waitFor((s) => s.every((k) => document.querySelector(`[data-kv="${k}"] [data-key="svc/n6"]`)?.textContent === '—'), servers, 'n6 deregistered on every server', 30000);
  assert.deepEqual(await page.evaluate(listing, [5, servers]), ['web', 'web', 'web'], 'the others stay listed');
  assert.match(await page.textContent('[data-figure="stops deregistered from the catalog"]'), /: 1 \(longest \d+ ms after the stop\)/);
  // The catalog read like any key: n6's registration and the leader's deregistration are in the
  // history, so a consistent read of it is checked against them.
  await page.fill('[data-field="key"]', 'svc/n6');
  assert.deepEqual(await request(page, waitFor, 'read-consistent', 'leader'), { outcome: 'ok', text: 'read ""' });
  await waitFor(() => document.querySelector('[data-linearizable="yes"]'), null, 'linearizable with the catalog writes', 30000);
  await page.screenshot({ path: join(shots, 'consul-deregistered.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('the leader cut off after a newer write: consistent and default reads there get no answer, a stale one the old value; the new leader answers all three with the new', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=3&protocol=consul&nodes=8');
  await page.selectOption('[data-action="speed"]', '1');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  const leaderOf = () => page.$eval('[data-node][data-role="leader"]', (n) => n.dataset.node);
  const ask = (action, node, value) => request(page, waitFor, action, node, value);
  const old = await leaderOf();
  await page.fill('[data-field="key"]', 'x');
  assert.equal((await ask('put', old, '1')).outcome, 'ok');
  // The old leader alone on one side, everyone else on the other.
  for (let i = 0; i < 8; i++) await page.selectOption(`[data-group="${i}"]`, String(i) === old ? '1' : '0');
  await page.click('[data-action="partition"]');
  await waitFor((o) => [...document.querySelectorAll('[data-node][data-role="leader"]')].some((n) => n.dataset.node !== o), old, 'a new leader', 60000);
  const fresh = await page.$$eval('[data-node][data-role="leader"]', (ns, o) => ns.map((n) => n.dataset.node).find((n) => n !== o), old);
  assert.equal((await ask('put', fresh, '2')).outcome, 'ok');
  const at = {};
  for (const node of [old, fresh]) {
    for (const mode of ['consistent', 'default', 'stale']) at[`${node}/${mode}`] = await ask(`read-${mode}`, node);
  }
  assert.deepEqual(at[`${fresh}/consistent`], { outcome: 'ok', text: 'read "2"' });
  assert.deepEqual(at[`${fresh}/default`], { outcome: 'ok', text: 'read "2"' });
  assert.deepEqual(at[`${fresh}/stale`], { outcome: 'ok', text: 'read "2"' });
  assert.notEqual(at[`${old}/consistent`].outcome, 'ok', 'no quorum confirms the old leader');
  assert.notEqual(at[`${old}/default`].outcome, 'ok', 'check-quorum has made it step down');
  assert.deepEqual(at[`${old}/stale`], { outcome: 'ok', text: 'read "1"' }, 'the cut-off server answers from its own, older state');
  await waitFor(() => document.querySelector('.checks [data-mode="stale"]')?.dataset.stale === '1', null, 'the stale read counted, as a stale-mode one');
  assert.deepEqual(await page.$$eval('.checks [data-mode]', (rs) => rs.map((r) => [r.dataset.mode, r.dataset.stale])), [['consistent', '0'], ['default', '0'], ['stale', '1']]);
  await waitFor(() => document.querySelector('[data-linearizable="yes"]'), null, 'consistent reads linearizable', 30000);
  await page.screenshot({ path: join(shots, 'consul-read-modes.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('the three read modes against the same faults, side by side: which mode returned what', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'scenario=consul-read-modes');
  await waitFor(() => document.querySelectorAll('.checks').length === 2, null, 'two panes');
  await page.selectOption('[data-action="speed"]', '10');
  await page.click('button:has-text("▶ Play")');
  await waitFor(() => +document.querySelector('[data-time]').dataset.time > 10500, null, 'past the heal', 60000);
  // Per pane, per mode: asked, answered, stale, refused.
  const table = (pane) => page.$$eval(`.checks[data-pane="${pane}"] [data-mode]`, (rs) => rs.map((r) => [r.dataset.mode, +r.dataset.reads, +r.dataset.answered, +r.dataset.stale, +r.dataset.refused]));
  // Cut off, the old leader stepped down: it refuses consistent and default reads, and its
  // stale reads answer the overwritten x=1.
  assert.deepEqual(await table(0), [['consistent', 6, 3, 0, 3], ['default', 6, 3, 0, 3], ['stale', 6, 6, 3, 0]]);
  // Paused past its lease, it resumed believing it led: one default read answered stale.
  assert.deepEqual(await table(1), [['consistent', 6, 3, 0, 3], ['default', 6, 4, 1, 2], ['stale', 6, 6, 3, 0]]);
  // Healed: the same read in the three modes at once, at the leader, answered fresh in both.
  await page.selectOption('[data-field="target"]', 'leader');
  await page.click('[data-action="read-all-modes"]');
  await waitFor(() => [...document.querySelectorAll('.checks [data-mode]')].every((r) => r.dataset.reads === '7'), null, 'three more reads, one per mode, in both panes', 30000);
  assert.deepEqual((await table(0)).map((r) => [r[2], r[3]]), [[4, 0], [4, 0], [7, 3]], 'each answered, none stale');
  assert.deepEqual((await table(1)).map((r) => [r[2], r[3]]), [[4, 0], [5, 1], [7, 3]], 'each answered, none stale');
  await waitFor(() => document.querySelectorAll('[data-linearizable="yes"]').length === 2, null, 'both linearizable', 30000);
  await page.locator('.checks[data-pane="1"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'consul-compare-modes.png') });
  assert.deepEqual(problems, []);
  await page.close();
});
