// The guided lessons, walked through in headless Chromium by clicking what each step's text
// tells a learner to click, and once more doing something else at a step, to show that the
// lesson follows the state of the run and not the button. Every wait is for a DOM condition,
// with a timeout. Screenshot: target/screenshots/lesson-raft-elections.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { start, openPage, root } from './harness.mjs';

let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

const step = (page) => page.$eval('[data-lesson]', (l) => +l.dataset.step);
async function begin(page, waitFor, name) {
  await page.selectOption('[data-action="lessons"]', name);
  await waitFor((n) => document.querySelector(`[data-lesson="${n}"][data-step="1"]`), name, `the lesson ${name}`);
}
const at = (waitFor, k) => waitFor((s) => +document.querySelector('[data-lesson]')?.dataset.step === s, k, `step ${k}`, 60000);
const node = (page, role) => page.$eval(`[data-node][data-role="${role}"]`, (n) => n.dataset.node);

test('Raft elections, as the steps say: play, watch the election, crash the leader, see the next, restart it', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'raft-elections');
  assert.match(await page.$eval('[data-step-text]', (e) => e.textContent), /Press ▶ Play/);
  assert.ok(await page.$('[data-action="play"].lesson-highlight'), 'the step points at Play');
  await page.click('text=▶ Play');
  // At the default speed the first moments of a candidacy play in slow motion.
  await waitFor(() => document.querySelector('[data-slowed]') && document.querySelector('[data-node][data-role="candidate"]'), null, 'slow motion while a candidate stands');
  await at(waitFor, 3);
  assert.match(await page.$eval('[data-step-text]', (e) => e.textContent), /click the gold node, then Crash/);
  await page.screenshot({ path: join(root, 'target/screenshots/lesson-raft-elections.png') });
  const old = await node(page, 'leader');
  await page.click(`[data-node="${old}"] circle.body`);
  await page.click('button:has-text("Crash")');
  await at(waitFor, 5);
  await page.click(`[data-node="${old}"] circle.body`);
  await page.click('button:has-text("Restart")');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Raft elections, another way: cut the leader off instead of crashing it, heal, then Back', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'raft-elections');
  await page.click('text=▶ Play');
  await at(waitFor, 3);
  await page.click('button:has-text("Isolate leader")');
  await at(waitFor, 5);
  const t5 = +(await page.getAttribute('[data-time]', 'data-time'));
  await page.click('button:has-text("Heal links")');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  // Back: to the moment step 5 was reached, replayed.
  await page.click('button:has-text("‹ Back")');
  await at(waitFor, 5);
  await waitFor((t) => !document.querySelector('[data-replaying]') && +document.querySelector('[data-time]').dataset.time <= t, t5, 'the moment step 5 began');
  assert.ok(await page.$('.cluster .link.cut'), 'the leader is cut off again, as it was then');
  await page.click('button:has-text("Leave")');
  await waitFor(() => !document.querySelector('[data-lesson]'), null, 'the lesson left');
  assert.deepEqual(problems, []);
  await page.close();
});

// The gossip lesson's last step: split, write x = 2 on one side, read it on the other; the
// lesson is done.
async function staleRead(page, waitFor) {
  await page.click('button:has-text("Split minority|majority")');
  await page.fill('[data-field="key"]', 'x');
  await page.fill('[data-field="value"]', '2');
  await page.selectOption('[data-field="target"]', { label: 'to n0' });
  await page.click('button:has-text("Put")');
  await page.selectOption('[data-field="target"]', { label: 'to n3' });
  await page.click('button:has-text("Get")');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
}

test('Gossip and eventual consistency, as the steps say: heal, converge, then make a stale read', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'gossip-eventual');
  await page.selectOption('[data-action="speed"]', '1');
  await page.click('text=▶ Play');
  await at(waitFor, 3);
  await staleRead(page, waitFor);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Gossip and eventual consistency: heal early and split again, the step waits for a real convergence; then a stale read', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'gossip-eventual');
  await page.selectOption('[data-action="speed"]', '1');
  // Something else: heal by hand while paused (step 2), then split again before any round ran.
  await page.click('button:has-text("Heal links")');
  await at(waitFor, 2);
  await page.click('button:has-text("Split minority|majority")');
  await page.click('text=▶ Play');
  await waitFor(() => +document.querySelector('[data-time]').dataset.time >= 2500, null, '2.5 s, split again');
  assert.equal(await step(page), 2, 'split, the replicas cannot converge: the step waits');
  // The schedule heals the links at 3 s: then they converge.
  await at(waitFor, 3);
  await staleRead(page, waitFor);
  assert.deepEqual(problems, []);
  await page.close();
});

// The replication lesson as its first two steps say, up to step 3: play, then Put x = 1.
async function replicationAtStep3() {
  const opened = await openPage(browser, server, 'seed=1');
  const { page, waitFor } = opened;
  await begin(page, waitFor, 'raft-replication');
  await page.selectOption('[data-action="speed"]', '1');
  await page.click('text=▶ Play');
  await at(waitFor, 2);
  await page.fill('[data-field="key"]', 'x');
  await page.fill('[data-field="value"]', '1');
  await page.click('button:has-text("Put")');
  await at(waitFor, 3);
  return opened;
}

test('Raft log replication, as the steps say: write via the leader, crash a follower and write again, restart it', async () => {
  const { page, problems, waitFor } = await replicationAtStep3();
  const follower = await node(page, 'follower');
  await page.click(`[data-node="${follower}"] circle.body`);
  await page.click('button:has-text("Crash")');
  await page.fill('[data-field="value"]', '2');
  await page.click('button:has-text("Put")');
  await at(waitFor, 4);
  await page.click(`[data-node="${follower}"] circle.body`);
  await page.click('button:has-text("Restart")');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Raft log replication, with the leader crashed instead of a follower: a new leader takes the second write, then the restart', async () => {
  const { page, problems, waitFor } = await replicationAtStep3();
  // Something else: the step asks for a follower to crash; crash the leader.
  const old = await node(page, 'leader');
  await page.click(`[data-node="${old}"] circle.body`);
  await page.click('[data-action="crash"]');
  await waitFor((o) => [...document.querySelectorAll('[data-node][data-role="leader"]')].some((n) => n.dataset.node !== o), old, 'a new leader');
  assert.equal(await step(page), 3, 'no second write yet: the step waits');
  await page.fill('[data-field="value"]', '2');
  await page.click('button:has-text("Put")');
  await at(waitFor, 4);
  await page.click(`[data-node="${old}"] circle.body`);
  await page.click('[data-action="restart"]');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Raft partitions and safety, as the steps say: the majority elects, a write through the new leader commits, the heal repairs the old one', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'raft-partitions');
  await page.click('text=▶ Play');
  await at(waitFor, 2);
  await page.click('button:has-text("❚❚ Pause")');
  const fresh = await page.$$eval('[data-node][data-role="leader"]', (ns) => ns.find((n) => +n.dataset.term >= 2).dataset.node);
  await page.fill('[data-field="key"]', 'y');
  await page.fill('[data-field="value"]', '2');
  await page.selectOption('[data-field="target"]', { label: `to n${fresh}` });
  await page.click('button:has-text("Put")');
  await page.click('text=▶ Play');
  await at(waitFor, 3);
  await page.click('button:has-text("Heal links")');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Raft partitions and safety: a write to the cut-off old leader never commits and the step waits; one through the new leader does; the heal repairs the old one', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'raft-partitions');
  await page.click('text=▶ Play');
  await at(waitFor, 2);
  await page.click('button:has-text("❚❚ Pause")');
  const fresh = await page.$$eval('[data-node][data-role="leader"]', (ns) => ns.find((n) => +n.dataset.term >= 2).dataset.node);
  await page.fill('[data-field="key"]', 'y');
  await page.fill('[data-field="value"]', '2');
  // Something else: the write goes to n4, the old leader on the minority side.
  await page.selectOption('[data-field="target"]', { label: 'to n4' });
  await page.click('button:has-text("Put")');
  const t = +(await page.getAttribute('[data-time]', 'data-time'));
  await page.click('text=▶ Play');
  await waitFor((t0) => +document.querySelector('[data-time]').dataset.time >= t0 + 1500, t, '1.5 s more');
  assert.equal(await step(page), 2, 'n4 cannot commit it: the step waits');
  await page.selectOption('[data-field="target"]', { label: `to n${fresh}` });
  await page.click('button:has-text("Put")');
  await at(waitFor, 3);
  await page.click('button:has-text("Heal links")');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Raft pre-vote, side by side, as the steps say: the links heal, the left leader is forced out and the right one stays', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'raft-pre-vote');
  assert.equal(await page.$$eval('.cluster[data-pane]', (c) => c.length), 2, 'two clusters side by side');
  await page.click('text=▶ Play');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Raft pre-vote, another way: heal the links by hand before the schedule does, then play', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'raft-pre-vote');
  await page.click('button:has-text("Heal links")');
  await at(waitFor, 2);
  await page.click('text=▶ Play');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Causal consistency, as the steps say: open the space-time view, play, see the held update let go', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'causal-consistency');
  // On the cluster too: n2 says what it holds back.
  assert.match(await page.$eval('[data-holds="2"]', (e) => `${e.textContent} ${e.title}`), /holds \d+ back n1#4 waits for n0#6/);
  await page.click('button:has-text("Space-time")');
  await waitFor(() => document.querySelector('[data-view="spacetime"] [data-held="2"]'), null, 'n2\'s held update drawn');
  await page.click('text=▶ Play');
  await at(waitFor, 2);
  await page.selectOption('[data-action="speed"]', '10');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Causal consistency: n2 paused, the held update waits with it; resumed, it is let go; then more', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'causal-consistency');
  await page.click('button:has-text("Space-time")');
  await waitFor(() => document.querySelector('[data-view="spacetime"] [data-held="2"]'), null, 'n2\'s held update drawn');
  // Something else: freeze n2, the replica holding the update back, and play.
  await page.click('[data-node="2"] circle.body');
  await page.click('[data-action="pause-node"]');
  await page.click('text=▶ Play');
  await waitFor(() => +document.querySelector('[data-time]').dataset.time >= 5700, null, '5.7 s');
  assert.equal(await step(page), 1, 'a paused replica applies nothing: the step waits');
  await page.click('[data-node="2"] circle.body');
  await page.click('[data-action="resume-node"]');
  await at(waitFor, 2);
  await page.selectOption('[data-action="speed"]', '10');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Linearizability, as the steps say: open the history, click the red read, play to the violation again', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'linearizability');
  await page.click('button:has-text("History")');
  await waitFor(() => document.querySelector('[data-view="history"] [data-violation="1"]'), null, 'the red read');
  await page.click('[data-view="history"] [data-violation="1"] rect');
  await at(waitFor, 2);
  await page.click('text=▶ Play');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Linearizability, another way: drag the timeline back instead of clicking the read', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await begin(page, waitFor, 'linearizability');
  await page.$eval('[data-action="timeline"]', (r) => { r.value = '5000'; r.dispatchEvent(new Event('input', { bubbles: true })); });
  await at(waitFor, 2);
  await page.click('text=▶ Play');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done', 60000);
  assert.deepEqual(problems, []);
  await page.close();
});
