// The timeline's markers, in headless Chromium: a leader elected and a crash appear as ticks
// on the scrubber, each saying what happened; clicking one seeks to its moment. Every wait is
// for a DOM condition, with a timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { start, root } from './harness.mjs';

let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

test('elections and crashes are marked on the timeline, and a click on a mark seeks there', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const waitFor = (fn, arg, what) =>
    page.waitForFunction(fn, arg, { timeout: 30000, polling: 'raf' }).catch((e) => { throw new Error(`waiting for ${what}: ${e.message}`); });
  await page.goto(`${server.url}#seed=1`);
  await page.selectOption('[data-action="speed"]', '1');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await waitFor(() => document.querySelector('[data-marker="election"]'), null, 'an election mark');
  const leader = await page.getAttribute('[data-node][data-role="leader"]', 'data-node');
  const term = await page.getAttribute('[data-node][data-role="leader"]', 'data-term');
  const election = await page.$eval('[data-marker="election"]', (e) => ({ t: e.dataset.t, title: e.title }));
  assert.match(election.title, new RegExp(`^n${leader} leads \\(term ${term}\\)`));

  // Crash the leader: a crash mark at that moment, then another election.
  await page.click(`[data-node="${leader}"] circle.body`);
  await page.click('[data-action="crash"]');
  await waitFor(() => document.querySelector('[data-marker="crash"]'), null, 'a crash mark');
  assert.match(await page.$eval('[data-marker="crash"]', (e) => e.title), new RegExp(`^n${leader} crashed at`));
  await waitFor((n) => document.querySelectorAll('[data-marker="election"]').length >= n, 2, 'the next election mark');
  await page.click('[data-action="pause"]');
  await mkdir(join(root, 'target/screenshots'), { recursive: true });
  await page.screenshot({ path: join(root, 'target/screenshots/timeline-marks.png'), clip: { x: 0, y: 0, width: 1440, height: 110 } });

  // A click on the first election's mark takes the run back to it: the leader leads again.
  await page.click('[data-marker="election"]');
  await waitFor((t) => document.querySelector('[data-time]').dataset.time === t, election.t, `the time of the first election (${election.t} ms)`);
  assert.equal(await page.getAttribute(`[data-node="${leader}"]`, 'data-role'), 'leader');
  assert.equal(await page.getAttribute(`[data-node="${leader}"]`, 'data-term'), term);
  assert.ok(await page.$('[data-marker="crash"]'), 'marks of the rest of the run stay on the timeline');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a broken guarantee is marked where the checks found it, and the mark seeks there', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const waitFor = (fn, arg, what) =>
    page.waitForFunction(fn, arg, { timeout: 60000, polling: 'raf' }).catch((e) => { throw new Error(`waiting for ${what}: ${e.message}`); });
  // A node that acknowledges writes before they commit, under 40 clients.
  const scenario = { protocol: 'raft', seed: 2, actions: [], settings: { bug: 'ack-before-commit' },
    sim: { nodes: 5, clients: { count: 40, keys: 5, load: true, think_ms: [50, 200], latency_ms: 5 } } };
  await page.goto(`${server.url}#s=${encodeURIComponent(JSON.stringify(scenario))}`);
  await page.selectOption('[data-action="speed"]', '10');
  // The violation pauses the run; its mark is on the timeline.
  await waitFor(() => document.querySelector('[data-linearizable="no"]') && document.querySelector('[data-marker="violation"]'), null, 'the violation and its mark');
  const mark = await page.$eval('[data-marker="violation"]', (e) => ({ t: e.dataset.t, title: e.title }));
  assert.match(mark.title, /^a guarantee broken at/);
  assert.ok(+mark.t <= +(await page.getAttribute('[data-time]', 'data-time')), 'marked at or before the moment it was found');
  await page.click('[data-marker="violation"]');
  await waitFor((t) => document.querySelector('[data-time]').dataset.time === t, mark.t, `the time of the violation (${mark.t} ms)`);
  assert.deepEqual(problems, []);
  await page.close();
});
