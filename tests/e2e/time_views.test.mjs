// The views of a run in time, in headless Chromium, by clicking: the history view and the
// space-time diagram over a partition; a deliberately broken node's violations marked where
// the checker found them; histories exported from the page checked by `lab check-history`;
// every shared Jepsen/Porcupine history imported with its published verdict. Every wait is
// for a DOM condition, with a timeout. Screenshots: target/screenshots/{history,spacetime,
// history-violation,history-imported}.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { start, openPage, root } from './harness.mjs';

const shots = join(root, 'target/screenshots');
const histories = join(root, '../shared/histories');
let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

const verdict = (page) => page.$eval('[data-view="history"] [data-verdict]', (e) => e.dataset.verdict);

test('a write on each side of a 2|3 split: the history shows the minority\'s failing, the partition, and the diagram its dropped messages', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await page.selectOption('[data-action="speed"]', '1');
  await page.click('[data-action="view-history"]');
  await page.click('[data-action="view-spacetime"]');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  const old = await page.getAttribute('[data-node][data-role="leader"]', 'data-node');
  await page.click('[data-action="split"]');
  // One write to the old leader, on the minority side; one to the leader the majority elects.
  const put = async (node, key, value) => {
    await page.fill('[data-field="key"]', key);
    await page.fill('[data-field="value"]', value);
    await page.selectOption('[data-field="target"]', node);
    await page.click('[data-action="put"]');
  };
  await put(old, 'x', '1');
  await waitFor((o) => [...document.querySelectorAll('[data-node][data-role="leader"]')].some((n) => n.dataset.node !== o), old, 'a leader in the majority', 60000);
  const fresh = await page.$$eval('[data-node][data-role="leader"]', (ns, o) => ns.map((n) => n.dataset.node).find((n) => n !== o), old);
  await put(fresh, 'y', '2');
  await waitFor(() => document.querySelectorAll('[data-view="history"] [data-hop]').length >= 2, null, 'both writes drawn');
  // The majority elects a leader and its write succeeds; the minority's never can.
  await waitFor(() => [...document.querySelectorAll('[data-view="history"] [data-hop]')].filter((b) => b.dataset.outcome !== 'pending').length >= 2, null, 'both writes settled', 60000);
  await page.click('[data-action="heal"]');
  await page.click('[data-action="pause"]');
  const ops = await page.$$eval('[data-view="history"] [data-hop]', (bs) => bs.map((b) => ({ hop: b.dataset.hop, outcome: b.dataset.outcome, invoke: b.dataset.invoke, title: b.querySelector('title').textContent })));
  const x = ops.find((o) => o.title.includes('put(x, "1")'));
  const y = ops.find((o) => o.title.includes('put(y, "2")'));
  assert.ok(['fail', 'info'].includes(x.outcome), `the minority's write failed or is indeterminate: ${JSON.stringify(x)}`);
  assert.equal(y.outcome, 'ok', 'the majority\'s write succeeded');
  assert.ok(await page.$('[data-view="history"] [data-band="partition"]'), 'the partition is drawn on the history\'s axis');
  assert.ok(await page.$('[data-view="history"] [data-axis-mark="heal"]'), 'and its heal');

  // The space-time diagram over the partition: messages lost to the cut end in a cross.
  await page.selectOption('[data-action="spacetime-span"]', '10000');
  await waitFor(() => document.querySelector('[data-view="spacetime"] [data-arrow][data-fate="dropped"]'), null, 'a dropped message');
  const dropped = await page.$eval('[data-view="spacetime"] [data-arrow][data-fate="dropped"]', (a) => a.querySelector('title').textContent);
  assert.match(dropped, /the link was cut/);
  assert.ok(await page.$('[data-view="spacetime"] [data-role-change="leader"]'), 'the new leader is marked on its lane');
  await (await page.$('[data-view="spacetime"]')).screenshot({ path: join(shots, 'spacetime.png') });
  const svg = await page.$('[data-view="history"] svg');
  await svg.screenshot({ path: join(shots, 'history.png') });

  // The legends' switches: a key hidden and shown again, a routine kind shown, a node's lane hidden.
  await page.click('[data-view="history"] [data-key-toggle="x"]');
  await waitFor((h) => !document.querySelector(`[data-view="history"] [data-hop="${h}"]`), x.hop, 'key x hidden');
  await page.click('[data-view="history"] [data-key-toggle="x"]');
  await waitFor((h) => document.querySelector(`[data-view="history"] [data-hop="${h}"]`), x.hop, 'key x shown again');
  assert.equal(await page.$('[data-view="spacetime"] [data-arrow][data-kind="heartbeat"]'), null, 'heartbeats start hidden among many messages');
  await page.click('[data-view="spacetime"] [data-kind-toggle="heartbeat"]');
  await waitFor(() => document.querySelector('[data-view="spacetime"] [data-arrow][data-kind="heartbeat"]'), null, 'heartbeats shown');
  const lanes = () => page.$eval('[data-view="spacetime"] svg', (svg) => svg.viewBox.baseVal.height);
  const tall = await lanes();
  await page.click('[data-view="spacetime"] [data-node-toggle="0"]');
  await waitFor((h) => document.querySelector('[data-view="spacetime"] svg').viewBox.baseVal.height < h, tall, 'a lane fewer');
  await page.click('[data-view="spacetime"] [data-node-toggle="0"]');

  // Exported: each drawing as a standalone SVG file, the trace as `lab run --trace` writes it.
  const saved = async (selector) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
    return readFile(await download.path(), 'utf8');
  };
  const historySvg = await saved('[data-view="history"] [data-action="export-svg"]');
  assert.match(historySvg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(historySvg.includes(`data-hop="${x.hop}"`), 'the history drawing holds the operations');
  const spacetimeSvg = await saved('[data-view="spacetime"] [data-action="export-svg"]');
  assert.ok(spacetimeSvg.startsWith('<svg') && spacetimeSvg.includes('data-fate="dropped"'), 'the diagram holds the lost messages');
  const trace = JSON.parse(await saved('[data-action="export-trace"]'));
  assert.ok(trace.some((e) => e.type === 'drop' && e.reason === 'partition'), 'the trace holds the drops of the partition');

  // A click on an operation takes the run to its invocation.
  await page.click(`[data-view="history"] [data-hop="${x.hop}"] rect`);
  await waitFor((t) => document.querySelector('[data-time]').dataset.time === t, x.invoke, `the invocation of put(x, 1) at ${x.invoke} ms`);
  // A click on an arrow selects its message in the cluster and the inspector.
  const arrow = await page.$eval('[data-view="spacetime"] [data-arrow]:not([data-fate="dropped"])', (a) => a.dataset.arrow);
  // (Dispatched to the arrow itself: arrows cross, and a click at a point hits the topmost.)
  await page.dispatchEvent(`[data-view="spacetime"] [data-arrow="${arrow}"]`, 'click');
  await waitFor((id) => document.querySelector(`[data-view="spacetime"] [data-arrow="${id}"][data-selected]`), arrow, 'the arrow selected');
  await waitFor(() => !document.querySelector('[data-replaying]'), null, 'the seek');
  await waitFor((id) => document.querySelector('[data-panel="inspector"] h3')?.textContent.startsWith(`Message ${id}:`), arrow, 'the message in the inspector');
  assert.deepEqual(problems, []);
  await page.close();
});

test('ack-before-commit, switched on in the page: the history marks in red the operations the checker reports, and says why', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await page.check('[data-field="ack-before-commit"]');
  await page.fill('input.seed', '5');
  await page.click('[data-action="reset"]');
  await page.click('[data-action="view-history"]');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await page.click('[data-action="load"]');
  await page.selectOption('[data-action="speed"]', '10');
  await waitFor(() => document.querySelector('[data-view="history"] [data-verdict="violation"]'), null, 'the violation', 60000);
  const stuck = (await page.getAttribute('[data-linearizable="no"]', 'data-stuck')).split(',');
  const marked = await page.$$eval('[data-view="history"] [data-violation="1"]', (bs) => bs.map((b) => b.dataset.hop));
  assert.ok(marked.length > 0, 'some operation is marked');
  assert.ok(marked.every((h) => stuck.includes(h)), `marked ${marked} are among those the checker reports (${stuck})`);
  const first = await page.$eval(`[data-view="history"] [data-hop="${stuck[0]}"] title`, (t) => t.textContent.split('\n')[0]);
  const why = await page.$eval('[data-view="history"] [data-why]', (e) => e.textContent);
  const op = first.replace(/^#\d+ /, '').split(' · ')[0];
  assert.ok(why.startsWith(op), `the explanation names the operation: ${why} / ${op}`);
  // The link of this run carries the bug: it was made selectable for lessons too.
  await page.click('[data-action="share"]');
  assert.match(decodeURIComponent(page.url()), /ack-before-commit/);
  await page.click('[data-action="jump-violation"]');
  await waitFor(() => !document.querySelector('[data-replaying]'), null, 'the jump');
  await (await page.$('[data-view="history"]')).screenshot({ path: join(shots, 'history-violation.png') });

  // Exported, the history gets the page's verdict from `lab check-history` (kv and Jepsen).
  const lab = join(root, 'target/debug/lab');
  for (const [format, model] of [['jepsen', 'register']]) {
    await page.selectOption('[data-field="history-format"]', format);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="export-history"]')]);
    const file = join(root, `target/tmp-export.${format}`);
    await download.saveAs(file);
    let code = 0;
    try { execFileSync(lab, ['check-history', '--model', model, file], { stdio: 'pipe' }); } catch (e) { code = e.status; }
    assert.equal(code, 1, `lab check-history finds the ${format} export not linearizable`);
  }
  // The kv form has no compare-and-set: it says so instead of writing a wrong file.
  await page.selectOption('[data-field="history-format"]', 'kv');
  await page.click('[data-action="export-history"]');
  await waitFor(() => document.querySelector('[data-notice]')?.textContent.includes('compare-and-set'), null, 'the reason kv cannot hold it');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a long session lets go of what its checks settled: the history view says from when, still checked linearizable; Export history says why it cannot', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=5');
  await page.click('[data-action="view-history"]');
  await page.click('[data-action="load"]');
  await page.selectOption('[data-action="speed"]', '100');
  // About 260 operations a simulated minute: past 2,000 kept plus a chunk of 500 by minute 11.
  await waitFor(() => document.querySelector('[data-view="history"] [data-forgotten]'), null, 'operations let go', 120000);
  await page.click('[data-action="pause"]');
  await waitFor(() => document.querySelector('[data-view="history"] [data-verdict="linearizable"]'), null, 'the verdict');
  const forgotten = +(await page.getAttribute('[data-view="history"] [data-forgotten]', 'data-forgotten'));
  const checked = await page.$eval('[data-view="history"] [data-verdict]', (e) => +(e.textContent.match(/\((\d+) operations\)/) || [])[1]);
  const held = await page.$$eval('[data-panel="clients"] [data-op]', (rows) => Math.min(...rows.map((r) => +r.dataset.op)));
  assert.ok(forgotten >= 500, `let go of ${forgotten}`);
  assert.ok(checked > forgotten, `every operation counted: ${checked} checked, ${forgotten} let go`);
  assert.ok(held >= forgotten, `the clients panel shows held operations only (from ${held})`);
  assert.match(await page.textContent('[data-view="history"] [data-forgotten]'), new RegExp(`first ${forgotten} operations were checked, settled and let go`));
  await page.click('[data-action="export-history"]');
  await waitFor(() => document.querySelector('[data-notice]')?.textContent.includes('must hold them all'), null, 'why the history cannot be exported');
  await (await page.$('[data-view="history"]')).screenshot({ path: join(shots, 'history-long-session.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('every shared history, imported, shows its published verdict; a damaged one is refused with its line; a dropped one opens', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1');
  await page.click('[data-action="pause"]');
  const published = new Map((await readFile(join(histories, 'jepsen-etcd/VERDICTS'), 'utf8')).trim().split('\n')
    .map((l) => l.split(/\s+/)).map(([f, v]) => [f, v === 'linearizable' ? 'linearizable' : 'violation']));
  const files = [...published.keys()].map((f) => [join(histories, 'jepsen-etcd', f), published.get(f)]);
  for (const f of (await readdir(join(histories, 'kv'))).sort()) {
    files.push([join(histories, 'kv', f), f.includes('-ok') ? 'linearizable' : 'violation']);
  }
  let largest = null;
  for (const [file, want] of files) {
    await page.setInputFiles('[data-action="import"]', file);
    await waitFor((name) => document.querySelector('[data-view="history"] h2')?.textContent.includes(name) &&
      !['checking'].includes(document.querySelector('[data-view="history"] [data-verdict]').dataset.verdict), file.split('/').pop(), `the verdict on ${file}`);
    assert.equal(await verdict(page), want, file);
    if (want === 'violation') {
      assert.ok(await page.$('[data-view="history"] [data-violation="1"]'), `${file}: the operations that break it are marked`);
    }
    if (file.endsWith('c10-bad.txt')) largest = file;
  }
  await page.setInputFiles('[data-action="import"]', largest);
  await page.selectOption('[data-action="history-span"]', '0');
  await waitFor(() => document.querySelector('[data-view="history"] [data-verdict="violation"]'), null, 'the largest');
  await (await page.$('[data-view="history"]')).screenshot({ path: join(shots, 'history-imported.png') });
  // A damaged file: refused, naming the line; the history on screen stays.
  await page.setInputFiles('[data-action="import"]', { name: 'broken.txt', mimeType: 'text/plain', buffer: Buffer.from('{:process 0, :type :invoke, :f :get, :key "a"}\n{:process 0, :type :ok, :f :get, :key\n') });
  await waitFor(() => document.querySelector('[data-notice]')?.textContent.includes('line 2'), null, 'the refusal');
  assert.match(await page.$eval('[data-view="history"] h2', (e) => e.textContent), /c10-bad/);
  // A file dropped on the page opens as Import opens it.
  const etcd = await readFile(join(histories, 'jepsen-etcd/etcd_002.log'), 'utf8');
  const dropped = await page.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'dropped.log', { type: 'text/plain' }));
    return dt;
  }, etcd);
  await page.dispatchEvent('.app', 'drop', { dataTransfer: dropped });
  await waitFor(() => document.querySelector('[data-view="history"] h2')?.textContent.includes('dropped.log') &&
    document.querySelector('[data-view="history"] [data-verdict]').dataset.verdict === 'linearizable', null, 'the dropped history and its verdict');
  await page.click('[data-action="close-history"]');
  await waitFor(() => !document.querySelector('[data-view="history"] h2').textContent.includes('file'), null, 'the run\'s own history again');
  assert.deepEqual(problems, []);
  await page.close();
});

test('causal broadcast under loss: an update held back until its causes arrive is drawn on its replica\'s lane, naming what it waits for', async () => {
  const { page, problems, waitFor } = await openPage(browser, server, 'seed=1&protocol=causal&load=1');
  await page.click('[data-action="view-spacetime"]');
  await page.fill('[data-field="loss"]', '30');
  await page.click('[data-action="set-network"]');
  await page.selectOption('[data-action="speed"]', '10');
  await page.selectOption('[data-action="spacetime-span"]', '30000');
  await waitFor(() => document.querySelector('[data-view="spacetime"] [data-held]'), null, 'an update held back', 60000);
  await page.click('[data-action="pause"]');
  const said = await page.$eval('[data-view="spacetime"] [data-held] title', (t) => t.textContent);
  assert.match(said, /^n\d held back n\d#\d+ waits for n\d#\d+(, n\d#\d+)*: from \d+\.\d{3} s (until \d+\.\d{3} s|still held)$/);
  await (await page.$('[data-view="spacetime"]')).screenshot({ path: join(shots, 'spacetime-causal.png') });
  assert.deepEqual(problems, []);
  await page.close();
});
