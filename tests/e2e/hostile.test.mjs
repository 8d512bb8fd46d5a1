// Hostile input against the built page in headless Chromium (issue 15): every link that once
// panicked, froze or silently failed the page now shows a notice or runs; a deliberate panic
// shows the crash banner with a link that reproduces the run; the page runs under its
// Content-Security-Policy, which blocks an injected inline script. Every wait is for a DOM
// condition, with a timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { start, openPage, root } from './harness.mjs';

const fixtures = JSON.parse(await readFile(join(root, '../shared/fixtures/share-links.json'), 'utf8'));
// A Raft scenario as the Share button writes it, without its actions.
const raft = { ...JSON.parse(decodeURIComponent(fixtures[0].hash.slice('#s='.length))), actions: [] };
const link = (scenario) => `s=${encodeURIComponent(JSON.stringify(scenario))}`;
const set = (path, value, base = raft) => {
  const s = structuredClone(base);
  const keys = path.split('.');
  keys.slice(0, -1).reduce((o, k) => o[k], s)[keys.at(-1)] = value;
  return s;
};
const request = (key, value = '0') => ({ t: 10, step: 2, do: 'request', node: null, op: { f: 'put', key, value } });

// The links the issue found by hand, and a word the refusal must name.
const refused = [
  ['s=' + encodeURIComponent('{"protocol":"raft","seed":5,"settings":{"heartbeat_tick":0}}'), 'heartbeat_tick'],
  [link(set('settings.election_tick', 2)), 'election_tick'],
  ['s=' + encodeURIComponent('{"protocol":"causal","seed":5,"settings":{"sync_ticks":4294967295}}'), 'sync_ticks'],
  ['s=' + encodeURIComponent('{"protocol":"gossip","seed":5,"settings":{"interval_ticks":4294967295}}'), 'interval_ticks'],
  [link(set('sim.nodes', 0)), 'nodes'],
  [link(set('sim.nodes', 2)), 'nodes'],
  [link(set('sim.tick_ms', 0)), 'tick_ms'],
  [link(set('sim.link.latency_ms', 60001)), 'latency_ms'],
  [link(set('actions', [request('k'.repeat(500000))])), 'key'],
  ['nodes=65', 'nodes'],
];

let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

const open = (hash) => openPage(browser, server, hash);
const time = (page) => page.$eval('[data-time]', (e) => +e.dataset.time);

test('every link that panicked the page or passed unchecked opens a fresh run with a notice naming the problem', async () => {
  for (const [hash, word] of refused) {
    const { page, problems, waitFor } = await open(hash);
    const notice = await page.$eval('[data-notice]', (e) => e.textContent).catch(() => null);
    assert.ok(notice?.includes(word), `${hash.slice(0, 80)}…: the notice ${JSON.stringify(notice?.slice(0, 200))} names ${word}`);
    assert.equal(await page.$('[data-panic]'), null);
    // The fresh run is alive: time moves.
    const t0 = await time(page);
    await waitFor((t) => +document.querySelector('[data-time]').dataset.time > t, t0, 'time to move');
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test('a link pasted into an open page that cannot be opened keeps the run on screen and says why', async () => {
  const { page, problems, waitFor } = await open('seed=77');
  await waitFor(() => +document.querySelector('[data-time]').dataset.time > 500, null, 'the run to go');
  for (const [hash, word] of refused.slice(0, 6)) {
    await page.evaluate((h) => { location.hash = h; }, hash);
    await waitFor((w) => document.querySelector('[data-notice]')?.textContent.includes(w), word, `the notice naming ${word}`);
    assert.match(await page.$eval('[data-notice]', (e) => e.textContent), /the run on screen goes on/);
    assert.ok(await time(page) > 500, 'the run was not restarted');
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('150 requests at one moment under the steady load run, and the linearizability check answers', async () => {
  const burst = set('actions', Array.from({ length: 150 }, (_, i) => request(`k${i % 3}`)), set('sim.clients.load', true));
  const { page, problems, waitFor } = await open(link(burst));
  await page.selectOption('[data-action="speed"]', '10');
  await waitFor(() => +document.querySelector('[data-time]').dataset.time > 20000, null, '20 simulated seconds', 120000);
  await waitFor(() => ['yes', 'no', 'unknown'].includes(document.querySelector('[data-linearizable]')?.dataset.linearizable), null, 'a verdict', 120000);
  assert.equal(await page.$('[data-notice]'), null);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a run with more events than the frames have time for goes slower and says so, and the page still answers', async () => {
  // The costliest settings a link may ask for: 64 nodes, 1 ms ticks, no latency, every message
  // duplicated, 64 clients that never wait.
  const heavy = structuredClone(raft);
  Object.assign(heavy.sim, { nodes: 64, tick_ms: 1 });
  heavy.sim.link = { ...heavy.sim.link, latency_ms: 0, jitter_ms: 0, duplicate: 1.0 };
  heavy.sim.clients = { ...heavy.sim.clients, count: 64, think_ms: [0, 0], latency_ms: 0, load: true };
  Object.assign(heavy.settings, { heartbeat_tick: 1, election_tick: 2 });
  const { page, problems, waitFor } = await open(link(heavy));
  await page.selectOption('[data-action="speed"]', '100');
  await waitFor(() => document.querySelector('[data-behind]'), null, 'the note that the run is slower than asked');
  // The page still answers: a pause is taken at once and the note goes.
  await page.click('[data-action="pause"]');
  await waitFor(() => !document.querySelector('[data-behind]') && document.querySelector('[data-action="play"]'), null, 'the pause');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a panic shows the crash banner with the seed and a link that replays the run', async () => {
  const { page, waitFor } = await open('seed=4242');
  await page.click('[data-action="pause"]');
  await page.evaluate(() => { window.__labTestPanic = true; });
  await page.click('[data-action="step"]');
  await waitFor(() => document.querySelector('[data-panic]'), null, 'the crash banner');
  const text = await page.$eval('[data-panic]', (e) => e.textContent);
  assert.match(text, /internal error/);
  assert.match(text, /Seed 4242/);
  const href = await page.$eval('[data-panic-link]', (e) => e.getAttribute('href'));
  assert.match(href, /#s=/);
  await mkdir(join(root, 'target/screenshots'), { recursive: true });
  await page.screenshot({ path: join(root, 'target/screenshots/panic-banner.png') });
  await page.close();
  // The banner's link opens the same run.
  const again = await open(href.slice(href.indexOf('#') + 1));
  assert.equal(await again.page.$('[data-notice]'), null);
  assert.match(decodeURIComponent(href), /"seed":4242/);
  await again.page.close();
});

test('the page runs under its Content-Security-Policy, which blocks an injected inline script', async () => {
  const { page, problems, waitFor } = await open('seed=1');
  const policy = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (e) => e.content);
  assert.match(policy, /default-src 'none'/);
  assert.doesNotMatch(policy, /script-src[^;]*'unsafe-inline'/);
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'nothing of the page itself is blocked');
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true';
    document.body.append(s);
    const img = document.createElement('img');
    img.src = 'http://127.0.0.1:9/blocked.png';
    document.body.append(img);
  });
  await waitFor(() => window.__csp.length >= 2, null, 'the violations to be reported');
  assert.equal(await page.evaluate(() => window.__injected), undefined, 'the injected script did not run');
  const blocked = await page.evaluate(() => window.__csp);
  assert.ok(blocked.some((v) => v.startsWith('script-src')), blocked.join(', '));
  assert.ok(blocked.some((v) => v.startsWith('img-src')), blocked.join(', '));
  assert.deepEqual(problems, []);
  await page.close();
});
