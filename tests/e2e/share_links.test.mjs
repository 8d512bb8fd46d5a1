// The share links people saved (../shared/fixtures/share-links.json, made with the app on
// 2026-12-02) opened in the page itself, in headless Chromium: each runs at 100x to past the
// moment it was read, is paused and dragged back to exactly that moment, and must show what the
// app showed then: every node's role and number in each pane, Raft's commit and last indices,
// and each replica row of a store's state table. Every wait is for a DOM condition.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { start, root } from './harness.mjs';

const fixtures = JSON.parse(await readFile(join(root, '../shared/fixtures/share-links.json'), 'utf8'));
let server, browser;

before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

for (const f of fixtures) {
  test(`the saved link "${f.name}" opens to the state it showed`, async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const waitFor = (fn, arg, what) =>
      page.waitForFunction(fn, arg, { timeout: 90000, polling: 'raf' }).catch((e) => { throw new Error(`waiting for ${what}: ${e.message}`); });
    await page.goto(`${server.url}${f.hash}`);
    await waitFor(() => document.querySelector('[data-time]'), null, 'the page');
    assert.equal(await page.$('[data-notice]'), null, 'the link is opened without complaint');
    await page.selectOption('[data-action="speed"]', '100');
    await waitFor((t) => +document.querySelector('[data-time]').dataset.time >= t, f.at_ms, `time ${f.at_ms}`);
    await page.click('[data-action="pause"]');
    await page.$eval('[data-action="timeline"]', (el, t) => { el.value = t; el.dispatchEvent(new Event('input', { bubbles: true })); }, f.at_ms);
    await waitFor((t) => +document.querySelector('[data-time]').dataset.time === t, f.at_ms, `the timeline at ${f.at_ms}`);

    const seen = await page.evaluate(() => ({
      nodes: [...document.querySelectorAll('.cluster[data-pane] [data-node]')].map((e) => ({
        pane: e.closest('[data-pane]').dataset.pane, node: +e.dataset.node, role: e.dataset.role, term: +e.dataset.term,
      })),
      logs: [...document.querySelectorAll('[data-panel="logs"] [data-log]')].map((e) => ({
        node: +e.dataset.log, commit: +e.dataset.commit, last: +e.dataset.last,
      })),
      kv: [...document.querySelectorAll('[data-panel="state"] [data-kv]')].map((row) => ({
        node: +row.dataset.kv,
        values: [...row.querySelectorAll('td[data-key]')].filter((td) => td.textContent !== '—').map((td) => [td.dataset.key, td.textContent]),
      })),
    }));
    assert.deepEqual(seen.nodes, f.expect.nodes);
    assert.deepEqual(seen.logs, f.expect.logs);
    assert.deepEqual(seen.kv, f.expect.kv);
    assert.deepEqual(problems, []);
    await page.close();
  });
}
