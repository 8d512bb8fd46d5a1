// The scenario library in headless Chromium: every entry of the Scenarios menu opens at its
// moment, paused, with its caption; a #scenario=NAME link opens the same; a name that is not in
// the library is refused with the names that are. Every wait is for a DOM condition, with a
// timeout. Screenshot: target/screenshots/scenario-split-vote.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { start, openPage, root } from './harness.mjs';

let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

test('every entry of the Scenarios menu opens at its moment, paused, with its caption', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  const entries = await page.$$eval('[data-action="scenarios"] [data-scenario]', (os) => os.map((o) => ({ name: o.value, title: o.textContent })));
  assert.ok(entries.length >= 10, `the library lists its entries (${entries.length})`);
  for (const e of entries) {
    await page.selectOption('[data-action="scenarios"]', e.name);
    await waitFor((name) => document.querySelector(`[data-caption="${name}"]`), e.name, `the caption of ${e.name}`);
    assert.match(await page.$eval('[data-caption]', (c) => c.textContent), new RegExp(e.title.replace(/[()]/g, '.')));
    assert.ok(await page.$('[data-action="play"]'), `${e.name} opens paused`);
    assert.equal(new URL(page.url()).hash, `#scenario=${e.name}`, 'the address bar names it');
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('a #scenario= link opens the split vote at its moment: three candidates in term 1', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'scenario=split-vote');
  await waitFor(() => document.querySelector('[data-caption="split-vote"]'), null, 'the caption');
  assert.equal(await page.getAttribute('[data-time]', 'data-time'), '630');
  const candidates = await page.$$eval('[data-node][data-role="candidate"]', (ns) => ns.map((n) => [n.dataset.node, n.dataset.term]));
  assert.deepEqual(candidates.sort(), [['1', '1'], ['3', '1'], ['4', '1']]);
  await mkdir(join(root, 'target/screenshots'), { recursive: true });
  await page.screenshot({ path: join(root, 'target/screenshots/scenario-split-vote.png') });
  // Play on: a later term elects a leader.
  await page.click('[data-action="play"]');
  await waitFor(() => { const l = document.querySelector('[data-node][data-role="leader"]'); return l && +l.dataset.term > 1; }, null, 'a leader in a later term');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a scenario name the library does not have is refused with the names it has', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'scenario=figure-99');
  await waitFor(() => document.querySelector('[data-notice]')?.textContent.includes('there is no scenario "figure-99"'), null, 'the refusal');
  assert.match(await page.$eval('[data-notice]', (n) => n.textContent), /first-election/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a first visit says what is on screen, offers the tour and the classic situations, and remembers "Just the sandbox"', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, '');
  await waitFor(() => document.querySelector('[data-welcome] [data-legend]'), null, 'the welcome with its legend');
  assert.match(await page.$eval('[data-welcome]', (w) => w.textContent), /the arc around it the time left before it stands for election/);
  await page.click('button:has-text("Just the sandbox")');
  await waitFor(() => !document.querySelector('[data-welcome]'), null, 'the welcome gone');
  await page.reload();
  await waitFor(() => document.querySelector('[data-node]'), null, 'the page again');
  assert.equal(await page.$('[data-welcome]'), null, 'not shown again');
  // Another browser: the tour starts the first lesson.
  const other = await openPage(browser, server, '');
  await other.waitFor(() => document.querySelector('[data-welcome]'), null, 'the welcome');
  await other.page.click('button:has-text("Take the tour")');
  await other.waitFor(() => document.querySelector('[data-lesson="raft-elections"][data-step="1"]'), null, 'the tour');
  assert.equal(await other.page.$('[data-welcome]'), null);
  await other.page.screenshot({ path: join(root, 'target/screenshots/tour.png') });
  assert.deepEqual([...problems, ...other.problems], []);
  await page.close();
  await other.page.close();
});
