// Tried as a new user would, from the page as it opens (a first visit: the welcome is shown),
// each task in at most five clicks, counted here, using only what a person sees: labels,
// roles and colours on screen, the menus' visible entries (choosing from a menu counts as two
// clicks: open it, pick one). Hooks are used only to read the outcome. Every wait is for a DOM
// condition, with a timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, openPage } from './harness.mjs';

let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

/// A fresh page as a newcomer opens it, and a click counter.
async function fresh() {
  const p = await openPage(browser, server, '');
  p.clicks = 0;
  p.click = async (selector) => { p.clicks += 1; await p.page.click(selector); };
  p.choose = async (menu, label) => { p.clicks += 2; await p.page.selectOption(`select:has(option:text-is("${menu}"))`, { label }); };
  return p;
}
const done = async (p, task) => {
  assert.ok(p.clicks <= 5, `${task} took ${p.clicks} clicks`);
  assert.deepEqual(p.problems, []);
  await p.page.close();
};
const leader = 'g[data-role="leader"] circle.body';

test('watch an election: no click at all', async () => {
  const p = await fresh();
  await p.waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await done(p, 'an election');
});

test('kill the leader and see a new one: two clicks', async () => {
  const p = await fresh();
  await p.waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  const old = await p.page.$eval('[data-node][data-role="leader"]', (n) => n.dataset.node);
  await p.click(leader);
  await p.click('button:has-text("Crash")');
  await p.waitFor((o) => [...document.querySelectorAll('[data-node][data-role="leader"]')].some((n) => n.dataset.node !== o), old, 'a new leader');
  await done(p, 'a new leader');
});

test('see a split vote: the welcome offers it, one click', async () => {
  const p = await fresh();
  await p.click('button:has-text("a split vote")');
  await p.waitFor(() => document.querySelectorAll('[data-node][data-role="candidate"]').length >= 2, null, 'two candidates');
  await done(p, 'a split vote');
});

test('see a split vote from the Scenarios menu: two clicks', async () => {
  const p = await fresh();
  await p.choose('Scenarios…', 'Raft: a split vote');
  await p.waitFor(() => document.querySelectorAll('[data-node][data-role="candidate"]').length >= 2, null, 'two candidates');
  await done(p, 'a split vote');
});

test('isolate the leader in a minority and see its write never commit: two clicks', async () => {
  const p = await fresh();
  await p.waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await p.click('button:has-text("Isolate leader")');
  await p.click('button:has-text("Put")');
  await p.waitFor(() => document.querySelector('[data-panel="clients"] tr[data-outcome="info"], [data-panel="clients"] tr[data-outcome="fail"]'), null, 'the write never acknowledged', 60000);
  await done(p, 'an isolated leader');
});

test('see a stale read in gossip during a partition and convergence after the heal: three clicks', async () => {
  const p = await fresh();
  await p.choose('Scenarios…', 'Gossip: a stale read in a partition, then convergence');
  await p.waitFor(() => document.querySelector('[data-stale="1"]'), null, 'the stale read counted');
  await p.click('button:has-text("▶ Play")');
  await p.waitFor(() => document.querySelector('[data-panel="state"][data-converged="true"]') && +document.querySelector('[data-time]').dataset.time > 4000, null, 'convergence after the heal', 60000);
  await done(p, 'a stale read then convergence');
});

test('see causal buffering: three clicks', async () => {
  const p = await fresh();
  await p.choose('Scenarios…', 'Causal: an effect held back until its cause arrives');
  await p.click('button:has-text("Space-time")');
  await p.waitFor(() => document.querySelector('[data-view="spacetime"] [data-held]'), null, 'an update held back, drawn');
  await done(p, 'causal buffering');
});

test('rewind to the moment the leader lost its quorum: two clicks', async () => {
  const p = await fresh();
  await p.waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await p.click('button:has-text("Isolate leader")');
  const cut = await p.page.$eval('button[title^="links cut at"]', (b) => b.dataset.t);
  await p.waitFor((t) => +document.querySelector('[data-time]').dataset.time > +t + 2000, cut, 'the run to go on');
  await p.click('button[title^="links cut at"]');
  await p.waitFor((t) => document.querySelector('[data-time]').dataset.time === t, cut, 'the moment of the cut');
  await done(p, 'a rewind');
});

test('replay a shared session exactly: one click, then the link', async () => {
  const p = await fresh();
  await p.waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await p.click('button:has-text("Share")');
  const link = p.page.url();
  const at = link.match(/&at=(\d+)$/)[1];
  const seen = await p.page.$$eval('[data-node]', (ns) => ns.map((n) => `${n.dataset.role}:${n.dataset.term}`));
  const time = await p.page.$eval('[data-time]', (e) => e.dataset.time);
  const other = await browser.newPage();
  await other.goto(link);
  await other.waitForFunction((t) => document.querySelector('[data-time]')?.dataset.time === t && !document.querySelector('[data-replaying]'), at, { timeout: 30000 });
  // The run kept playing after the click; the link holds the moment Share was pressed.
  assert.ok(+at <= +time);
  const replayed = await other.$$eval('[data-node]', (ns) => ns.map((n) => `${n.dataset.role}:${n.dataset.term}`));
  assert.equal(replayed.length, seen.length);
  await other.close();
  await done(p, 'a shared session');
});
