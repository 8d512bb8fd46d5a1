// Raft's membership changes from the page, by clicking: a node added catches up as a learner
// and is promoted to voter; the leader removes itself and the rest elect another; a change made
// while another is pending is refused with the reason. Every wait
// is for a DOM condition, with a timeout. Screenshot: target/screenshots/membership.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { start, openPage, root } from './harness.mjs';

let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

const leaderOf = (page) => page.$eval('[data-node][data-role="leader"]', (n) => n.dataset.node);

test('add a node: it catches up as a learner, then is promoted to voter', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await page.selectOption('[data-action="speed"]', '1');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await page.fill('[data-field="key"]', 'x');
  await page.click('button:has-text("Put")');
  await page.click('[data-action="add-node"]');
  await waitFor(() => document.querySelector('[data-node="5"][data-member="learner"]'), null, 'n5 a learner');
  // Caught up: its row in the Logs view reaches the leader's commit.
  const leader = await leaderOf(page);
  const commit = (n) => `[data-log="${n}"]`;
  await waitFor(([l, c]) => {
    const row = (n) => document.querySelector(c.replace('N', n))?.dataset.commit;
    return row(5) !== undefined && row(5) === row(l) && +row(5) >= 2;
  }, [leader, commit('N')], 'n5 caught up with the leader');
  await page.click('[data-node="5"] circle.body');
  assert.ok(await page.$('.actions-bar [data-action="promote"]'), 'a learner can be promoted');
  assert.equal(await page.$('.actions-bar [data-action="demote"]'), null, 'not demoted');
  await page.click('.actions-bar [data-action="promote"]');
  await waitFor(() => document.querySelector('[data-node="5"][data-member="voter"]'), null, 'n5 a voter');
  await waitFor(() => document.querySelectorAll('[data-node][data-member="voter"]').length === 6, null, 'six voters');
  await page.screenshot({ path: join(root, 'target/screenshots/membership.png') });
  // The newcomer is handed the leadership, then compacts its log on request.
  await page.click('[data-node="5"] circle.body');
  await page.click('.actions-bar [data-action="transfer-leader"]');
  await waitFor(() => document.querySelector('[data-node="5"][data-role="leader"]'), null, 'n5 leading');
  await page.click('[data-node="5"] circle.body');
  await page.click('.actions-bar [data-action="compact"]');
  await waitFor(() => document.querySelector('[data-log="5"] [data-compacted]'), null, "n5's log compacted");
  assert.deepEqual(problems, []);
  await page.close();
});

test('remove the leader: it leaves, and the others elect a new one among themselves', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await page.selectOption('[data-action="speed"]', '1');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  const old = await leaderOf(page);
  // Slow motion off: the election that follows plays at the chosen speed.
  await page.uncheck('[data-field="slow-motion"]');
  await page.click(`[data-node="${old}"] circle.body`);
  await page.click('.actions-bar [data-action="remove-node"]');
  await waitFor(() => document.querySelector('[data-node][data-role="candidate"], [data-node][data-role="precandidate"]'), null, 'a candidate');
  assert.equal(await page.$('[data-slowed]'), null, 'no slow motion when switched off');
  await waitFor((o) => document.querySelector(`[data-node="${o}"]`).dataset.role === 'removed', old, 'the old leader removed');
  await waitFor((o) => [...document.querySelectorAll('[data-node][data-role="leader"]')].some((n) => n.dataset.node !== o), old, 'a new leader', 60000);
  const fresh = await leaderOf(page);
  assert.notEqual(fresh, old);
  assert.equal(await page.$eval(`[data-node="${old}"]`, (n) => n.dataset.member), 'none');
  await page.screenshot({ path: join(root, 'target/screenshots/membership-removed.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a second change while the first is pending is refused, and the page says why', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await page.click('[data-action="pause"]');
  await page.click('[data-action="add-node"]');
  const follower = await page.$eval('[data-node][data-role="follower"]', (n) => n.dataset.node);
  await page.click(`[data-node="${follower}"] circle.body`);
  await page.click('.actions-bar [data-action="remove-node"]');
  await waitFor(() => document.querySelector('[data-notice]')?.textContent.includes('one configuration change at a time'), null, 'the refusal, with its reason');
  assert.equal(await page.$eval(`[data-node="${follower}"]`, (n) => n.dataset.member), 'voter', 'still a voter');
  assert.deepEqual(problems, []);
  await page.close();
});

test('compact logs, crash a follower, write on, restart it: it is sent a snapshot and installs it', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await page.check('[data-field="compact"]');
  await page.click('[data-action="reset"]');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  const leader = await leaderOf(page);
  const follower = String((+leader + 1) % 5);
  await page.click(`[data-node="${follower}"] circle.body`);
  await page.click('.actions-bar [data-action="crash"]');
  await page.check('text=steady load');
  await page.selectOption('[data-action="speed"]', '10');
  // The leader's log compacted well past what the follower holds.
  await waitFor((l) => +document.querySelector(`[data-log="${l}"] [data-compacted]`)?.dataset.compacted >= 60, leader, 'the leader compacted past index 60', 60000);
  await page.click('button:has-text("❚❚ Pause")');
  await page.click(`[data-node="${follower}"] circle.body`);
  await page.click('.actions-bar [data-action="restart"]');
  // Step event by event until the snapshot is on its way to the follower.
  for (let i = 0; i < 400 && !(await page.$(`[data-msg="snapshot"][data-to="${follower}"]`)); i++) {
    await page.click('[data-action="step"]');
  }
  assert.ok(await page.$(`[data-msg="snapshot"][data-to="${follower}"]`), 'a snapshot in flight to the follower');
  // Drawn with its size, as many bytes as the message carries.
  const size = await page.$eval(`[data-msg="snapshot"][data-to="${follower}"] [data-size]`, (t) => [+t.dataset.size, t.textContent]);
  assert.ok(size[0] > 0 && /^[\d.]+ (B|KB|MB)$/.test(size[1]), `the snapshot's size: ${size}`);
  await page.screenshot({ path: join(root, 'target/screenshots/snapshot-in-flight.png') });
  await page.click('text=▶ Play');
  await waitFor((f) => +document.querySelector(`[data-log="${f}"] [data-compacted]`)?.dataset.compacted >= 60, follower, 'the follower installed it', 30000);
  await page.screenshot({ path: join(root, 'target/screenshots/snapshot-installed.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('two voters out at once from the page: joint consensus shows, then the new voters; a removed node is taken back, a voter demoted', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await page.selectOption('[data-action="speed"]', '1');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await page.click('button:has-text("❚❚ Pause")');
  const leader = await leaderOf(page);
  const followers = ['0', '1', '2', '3', '4'].filter((n) => n !== leader);
  const [out1, out2, stays] = followers;
  // The boxes stand as the leader's voters do; two voters leaving at once is a joint change.
  assert.ok(await page.isChecked(`[data-list-node="${out1}"]`), 'ticked as a voter');
  await page.uncheck(`[data-list-node="${out1}"]`);
  await page.uncheck(`[data-list-node="${out2}"]`);
  await page.click('[data-action="set-voters"]');
  for (let i = 0; i < 400 && !(await page.$('[data-node][data-joint="1"]')); i++) {
    await page.click('[data-action="step"]');
  }
  assert.ok(await page.$('[data-node][data-joint="1"]'), 'a node in the joint configuration');
  assert.match(await page.$eval('[data-joint-config]', (e) => e.textContent), /majority of the old voters .* and of the new/);
  await page.screenshot({ path: join(root, 'target/screenshots/membership-joint.png') });
  await page.click('text=▶ Play');
  await waitFor(() => !document.querySelector('[data-node][data-joint="1"]')
    && document.querySelectorAll('[data-node][data-member="voter"]').length === 3, null, 'three voters, joint left');
  await waitFor((o) => document.querySelector(`[data-node="${o}"]`).dataset.member === 'none', out1, `n${out1} out`);
  // Taken back in as a learner, from the bar beside it.
  await page.click(`[data-node="${out1}"] circle.body`);
  await page.click('.actions-bar [data-action="add-learner"]');
  await waitFor((o) => document.querySelector(`[data-node="${o}"]`).dataset.member === 'learner', out1, `n${out1} a learner again`);
  // A voter demoted to learner.
  await page.click(`[data-node="${stays}"] circle.body`);
  await page.click('.actions-bar [data-action="demote"]');
  await waitFor((s) => document.querySelector(`[data-node="${s}"]`).dataset.member === 'learner', stays, `n${stays} demoted`);
  await page.screenshot({ path: join(root, 'target/screenshots/membership-after-joint.png') });
  // No box ticked: refused with a word, nothing sent.
  for (const box of await page.$$('[data-list-node]')) await box.uncheck();
  await page.click('[data-action="set-voters"]');
  await waitFor(() => /tick at least one node/.test(document.querySelector('[data-notice]')?.textContent ?? ''), null, 'the notice');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the leader crashed mid-change: a candidate counts its votes in the new and the old configuration', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'scenario=joint-leader-crash');
  await waitFor(() => document.querySelectorAll('[data-node][data-joint="1"]').length === 4, null, 'four nodes in the joint configuration');
  for (let i = 0; i < 300 && !(await page.$('.votes')); i++) {
    await page.click('[data-action="step"]');
  }
  assert.match(await page.$eval('.votes', (v) => v.textContent), /^votes \d\/3 new · \d\/5 old$/);
  await page.screenshot({ path: join(root, 'target/screenshots/joint-election.png') });
  assert.deepEqual(problems, []);
  await page.close();
});
