// A run saved as a file and opened again, in headless Chromium: Export downloads the session's
// scenario, Import of that file in another page replays the same run (same seed, same action
// at the same moment, same state); a file that is neither a run nor a history is refused with a notice and
// the run on screen goes on. Every wait is for a DOM condition, with a timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, openPage } from './harness.mjs';

let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

const open = (hash) => openPage(browser, server, hash);
const state = (page) => page.evaluate(() => [...document.querySelectorAll('[data-node]')].map((e) => `${e.dataset.node}:${e.dataset.role}:${e.dataset.term}`).join(' '));

test('a run exported to a file and imported in another page replays the same run', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lab-file-'));
  const a = await open('seed=31');
  await a.page.selectOption('[data-action="speed"]', '1');
  await a.waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  const leader = await a.page.getAttribute('[data-node][data-role="leader"]', 'data-node');
  await a.page.click(`[data-node="${leader}"] circle.body`);
  await a.page.click('[data-action="crash"]');
  await a.page.click('[data-action="pause"]');
  const at = await a.page.getAttribute('[data-time]', 'data-time');
  const seen = await state(a.page);
  const [download] = await Promise.all([a.page.waitForEvent('download'), a.page.click('[data-action="export-scenario"]')]);
  assert.equal(download.suggestedFilename(), 'consensus-lab-seed-31.json');
  const file = join(dir, download.suggestedFilename());
  await download.saveAs(file);
  const saved = JSON.parse(await readFile(file, 'utf8'));
  assert.equal(saved.seed, 31);
  assert.deepEqual(saved.actions.map((x) => [x.do, x.node]), [['crash', Number(leader)]]);

  const b = await open('seed=1');
  await b.page.setInputFiles('[data-action="import"]', file);
  await b.waitFor(() => document.querySelector('[data-node="0"]') && document.querySelector('.seed').placeholder === '31', null, 'the imported run');
  // Play past the moment the first page showed, go back to it, and compare.
  await b.page.selectOption('[data-action="speed"]', '10');
  await b.waitFor((t) => +document.querySelector('[data-time]').dataset.time >= +t, at, `time ${at}`);
  await b.page.click('[data-action="pause"]');
  await b.page.$eval('[data-action="timeline"]', (el, t) => { el.value = t; el.dispatchEvent(new Event('input', { bubbles: true })); }, at);
  await b.waitFor((t) => document.querySelector('[data-time]').dataset.time === t, at, `the timeline at ${at}`);
  assert.equal(await state(b.page), seen);
  assert.equal(await b.page.getAttribute(`[data-node="${leader}"]`, 'data-role'), 'down');

  // A file that is neither a run nor a history: refused, the run goes on.
  const bad = join(dir, 'notes.txt');
  await writeFile(bad, 'shopping: milk, eggs\n');
  await b.page.setInputFiles('[data-action="import"]', bad);
  await b.waitFor(() => document.querySelector('[data-notice]')?.textContent.includes('neither a run saved with Export'), null, 'the refusal');
  assert.match(await b.page.$eval('[data-notice]', (e) => e.textContent), /notes\.txt.*the run on screen goes on/);
  assert.equal(await b.page.$eval('.seed', (e) => e.placeholder), '31');
  assert.deepEqual([...a.problems, ...b.problems], []);
  await a.page.close();
  await b.page.close();
});
