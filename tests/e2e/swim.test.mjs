// SWIM failure detection in the page, by clicking: a crashed member becomes suspect, then dead,
// in every other member's membership list, and the live figures count the detection; it comes
// back alive with a higher incarnation when restarted. A protocol without data offers no
// clients and no history. Every wait is for a DOM condition, with a timeout. Screenshots:
// target/screenshots/swim-suspect.png, swim-dead.png, swim-page.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { start, openPage, root } from './harness.mjs';

let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

const shots = join(root, 'target/screenshots');

test('crash a member: it turns suspect, then dead in every list; restarted, it is alive again at a higher incarnation', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=2&protocol=swim&nodes=8');
  assert.equal(await page.$('[data-panel="clients"]'), null, 'no clients for a protocol without data');
  assert.equal(await page.$('[data-action="view-history"]'), null, 'and no history view');
  assert.equal(await page.textContent('[data-action="view-log"]'), 'Membership');
  await waitFor(() => document.querySelectorAll('[data-members] [data-member-state]').length === 64, null, 'eight lists of eight');
  await page.selectOption('[data-action="speed"]', '1');
  // Probes go round: pings and acks in flight.
  await waitFor(() => document.querySelector('[data-msg="ping"]'), null, 'a ping in flight');
  await page.click('[data-node="3"] circle.body');
  await page.click('.actions-bar [data-action="crash"]');
  await waitFor((m) => [...document.querySelectorAll('[data-members]')].some((row) => row.dataset.members !== String(m) && row.querySelector(`[data-of="${m}"]`).dataset.memberState === 'suspect'), 3, 'n3 suspected', 30000);
  await (await page.$('[data-panel="members"]')).screenshot({ path: join(shots, 'swim-suspect.png') });
  await page.selectOption('[data-action="speed"]', '10');
  await waitFor((m) => [...document.querySelectorAll('[data-members]')].filter((row) => row.dataset.members !== String(m)).every((row) => row.querySelector(`[data-of="${m}"]`).dataset.memberState === 'dead'), 3, 'n3 dead in every list', 60000);
  const figure = await page.textContent('[data-figure="stops declared dead by every member"]');
  assert.match(figure, /: 1 \(mean \d+ ms, longest \d+ ms\)/, figure);
  await (await page.$('[data-panel="members"]')).screenshot({ path: join(shots, 'swim-dead.png') });
  await page.screenshot({ path: join(shots, 'swim-page.png') });
  await page.click('[data-node="3"] circle.body');
  await page.click('.actions-bar [data-action="restart"]');
  await waitFor((m) => [...document.querySelectorAll('[data-members]')].every((row) => row.querySelector(`[data-of="${m}"]`).dataset.memberState === 'alive'), 3, 'n3 alive again everywhere', 60000);
  const inc = await page.$$eval('[data-members] [data-of="3"]', (cells) => cells.map((c) => +c.textContent.match(/#(\d+)/)[1]));
  assert.ok(inc.every((i) => i >= 1), `a higher incarnation everywhere: ${inc}`);
  assert.match(await page.textContent('[data-figure="false deaths"]'), /: 0$/);
  assert.deepEqual(problems, []);
  await page.close();
});
