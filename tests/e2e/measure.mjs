// Speed of the page in headless Chromium, measured with the Performance API (a measurement,
// not a test): first render after navigation; script time per animation frame with 9 nodes
// under steady client load at 1x; time to rewind across 10 minutes of simulated time; the live
// checks under 40 clients; a long session at 100x (memory and speed over 3 minutes); the views
// of a run in time (history and space-time); memory over 10 simulated minutes with and without
// log compaction; exporting a long run's trace.
// Run after `trunk build --release`: node tests/e2e/measure.mjs  (or ./dev.sh bench);
// MEASURE=checks (or first,frames,rewind,long,views,compaction,export) runs only those parts.
import { serveDist, launch } from './harness.mjs';

const server = await serveDist();
const browser = await launch();
const results = {};
const wanted = (part) => !process.env.MEASURE || process.env.MEASURE.split(',').includes(part);
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

async function fresh(hash) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(() => {
    window.__labPerf = {};
    new MutationObserver((_, obs) => {
      if (document.querySelector('[data-node]')) { window.__firstRender = performance.now(); obs.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${server.url}#${hash}`);
  await page.waitForSelector('[data-node]');
  return page;
}

// 1. First render: from navigation start to the first node on screen (median of 5 loads).
const firsts = [];
for (let i = 0; wanted('first') && i < 5; i++) {
  const page = await fresh('seed=1');
  firsts.push(await page.evaluate(() => window.__firstRender));
  await page.close();
}
if (firsts.length) results.first_render_ms = +pct(firsts, 0.5).toFixed(1);

// Script time per frame over 10 s of wall time at 1x, after a 2 s warm-up, with these views
// open below the cluster.
async function frameTimes(hash, views = []) {
  const page = await fresh(hash);
  for (const v of views) await page.click(`[data-action="view-${v}"]`);
  await page.selectOption('[data-action="speed"]', '1');
  await page.waitForTimeout(2000);
  await page.evaluate(() => { window.__labPerf.frame = []; });
  await page.waitForTimeout(10000);
  const frames = await page.evaluate(() => window.__labPerf.frame);
  await page.close();
  return { measured: frames.length, p50: +pct(frames, 0.5).toFixed(2), p95: +pct(frames, 0.95).toFixed(2), max: +Math.max(...frames).toFixed(2) };
}

// 2. Frames: 9 Raft nodes under steady load; 64 gossip replicas under steady load.
if (wanted('frames')) {
  results.raft9_frame_ms = await frameTimes('seed=1&nodes=9&load=1');
  results.gossip64_frame_ms = await frameTimes('seed=1&nodes=64&protocol=gossip&load=1');
}

// 3. Rewind: fast-forward a run under load, then seek back 1 s (which replays the whole run
//    from the seed, a frame's budget at a time): the wall time until the page shows the moment
//    sought, and Chromium's long animation frames (over 50 ms, with the part that blocked input)
//    meanwhile.
async function rewind(hash, minutes) {
  const page = await fresh(hash);
  await page.selectOption('[data-action="speed"]', '100');
  await page.waitForFunction((ms) => Number(document.querySelector('[data-time]').dataset.time) >= ms, minutes * 60000, { timeout: 600000, polling: 500 });
  await page.click('[data-action="pause"]');
  const horizon = Number(await page.getAttribute('[data-time]', 'data-time'));
  const shown = [];
  const long = [];
  for (let i = 0; i < 5; i++) {
    const target = String(horizon - 1000 - i);
    const r = await page.evaluate((t) => new Promise((done) => {
      const frames = [];
      const observer = new PerformanceObserver((list) => frames.push(...list.getEntries().map((e) => [e.duration, e.blockingDuration])));
      observer.observe({ type: 'long-animation-frame' });
      const el = document.querySelector('[data-action="timeline"]');
      const start = performance.now();
      el.value = t;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      const poll = () => {
        if (document.querySelector('[data-time]').dataset.time !== t) return requestAnimationFrame(poll);
        const ms = performance.now() - start;
        // Entries of the last frames arrive after them.
        setTimeout(() => { observer.disconnect(); done({ ms, frames }); }, 200);
      };
      poll();
    }), target);
    shown.push(r.ms);
    long.push(...r.frames);
  }
  await page.close();
  return {
    simulated_ms: horizon, shown_ms_median: +pct(shown, 0.5).toFixed(1), shown_ms_max: +Math.max(...shown).toFixed(1),
    long_frames: long.length, long_frame_max_ms: +Math.max(0, ...long.map((f) => f[0])).toFixed(1), blocking_max_ms: +Math.max(0, ...long.map((f) => f[1])).toFixed(1),
  };
}
if (wanted('rewind')) {
  results.rewind_5_nodes_10_min = await rewind('seed=1&load=1', 10);
  results.rewind_9_nodes_60_min = await rewind('seed=5&nodes=9&load=1', 60);
}

// 4. The live checks under 40 clients' steady load at 10x through 5 simulated minutes, with a
//    node that acknowledges writes before they commit (the violation must be reported) and with
//    a correct cluster (the check keeps up with a history that only grows): the longest update
//    the checks took, the longest frame, and the check's cost per update in the first and the
//    last simulated minute.
async function liveCheck(settings) {
  const scenario = {
    protocol: 'raft', seed: 2, actions: [], settings,
    sim: { nodes: 5, clients: { count: 40, keys: 5, load: true, think_ms: [50, 200], latency_ms: 5 } },
  };
  const page = await fresh(`s=${encodeURIComponent(JSON.stringify(scenario))}`);
  await page.selectOption('[data-action="speed"]', '10');
  await page.evaluate(() => { window.__labPerf.check = []; window.__labPerf.frame = []; });
  let reported = null;
  // Simulated time against the number of check updates so far, to split them by minute.
  const at = [];
  while (Number(await page.getAttribute('[data-time]', 'data-time')) < 300000) {
    // A reported violation pauses the run: note when, and play on to the five minutes.
    if (await page.$('[data-action="play"]')) {
      if (reported === null && await page.$('[data-linearizable="no"]')) {
        reported = Number(await page.getAttribute('[data-time]', 'data-time'));
      }
      await page.click('[data-action="play"]');
    }
    at.push([Number(await page.getAttribute('[data-time]', 'data-time')), await page.evaluate(() => window.__labPerf.check.length)]);
    await page.waitForTimeout(500);
  }
  const { check, frame } = await page.evaluate(() => window.__labPerf);
  const ops = Number(await page.$eval('[data-linearizable]', (el) => (el.textContent.match(/\((\d+) operations\)/) || [])[1] || 'NaN'));
  const verdict = await page.$eval('[data-linearizable]', (el) => el.dataset.linearizable);
  await page.close();
  // Check updates made during the first and the last simulated minute.
  const index = (t) => (at.find(([time]) => time >= t) || at[at.length - 1])[1];
  const mean = (xs) => xs.length ? +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3) : null;
  return {
    verdict, operations: ops, violation_reported_at_ms: reported,
    check_updates: check.length, check_max_ms: +Math.max(...check).toFixed(2),
    check_mean_ms_first_minute: mean(check.slice(0, index(60000))),
    check_mean_ms_last_minute: mean(check.slice(index(240000))),
    frames: frame.length, frame_p99_ms: +pct(frame, 0.99).toFixed(2), frame_max_ms: +Math.max(...frame).toFixed(2),
  };
}
if (wanted('checks')) {
  results.broken_node = await liveCheck({ bug: 'ack-before-commit' });
  results.healthy_40_clients = await liveCheck({});
}

// 5. A long session: 9 Raft nodes under the steady load at 100x for 3 minutes of wall time.
//    Every 15 s: the wasm memory, the virtual time gained, and the frames' script time (p95).
if (wanted('long')) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(() => {
    window.__labPerf = {};
    addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; });
  });
  await page.goto(`${server.url}#seed=5&nodes=9&load=1`);
  await page.waitForSelector('[data-node]');
  await page.selectOption('[data-action="speed"]', '100');
  const sample = () => page.evaluate(() => {
    const frames = window.__labPerf.frame || [];
    window.__labPerf.frame = [];
    return { mb: window.__wasm.memory.buffer.byteLength / 2 ** 20, t: +document.querySelector('[data-time]').dataset.time, frames };
  });
  let last = await sample();
  const samples = [];
  for (let i = 0; i < 12; i++) {
    await page.waitForTimeout(15000);
    const now = await sample();
    samples.push({ wasm_mb: +now.mb.toFixed(1), simulated_s: +((now.t - last.t) / 1000).toFixed(1), frame_p95_ms: +pct(now.frames, 0.95).toFixed(2), at_simulated_min: +(now.t / 60000).toFixed(1) });
    last = now;
  }
  const gained = (xs) => xs.reduce((a, x) => a + x.simulated_s, 0);
  results.long_run = {
    samples,
    speed_last_minute_over_first: +(gained(samples.slice(8)) / gained(samples.slice(0, 4))).toFixed(3),
    detail_kept_from: await page.$eval('[data-trace-from]', (e) => +e.dataset.traceFrom).catch(() => null),
  };
  await page.close();
}

// 7. Memory of a long Raft session under the steady load, without and with log compaction
//    ("compact logs"): 5 nodes at 100x for 80 simulated minutes (the trace's window, 8 MB
//    packed and its notes on top, fills in the first 35 or so); every simulated minute of the
//    first 10, then every 10, the wasm memory (its high-water mark: it never shrinks), the JS
//    heap after a collection, the highest commit index and the operations checked.
if (wanted('compaction')) {
  results.compaction_80_min = {};
  for (const compact of [false, true]) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.addInitScript(() => addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; }));
    await page.goto(`${server.url}#seed=5`);
    await page.waitForSelector('[data-node]');
    const cdp = await page.context().newCDPSession(page);
    if (compact) {
      await page.check('[data-field="compact"]');
      await page.click('[data-action="reset"]');
      await page.waitForSelector('[data-node]');
    }
    await page.check('text=steady load');
    await page.selectOption('[data-action="speed"]', '100');
    const samples = [];
    for (const minute of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80]) {
      await page.waitForFunction((ms) => Number(document.querySelector('[data-time]').dataset.time) >= ms, minute * 60000, { timeout: 300000, polling: 50 });
      await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = await cdp.send('Runtime.getHeapUsage');
      const wasm = await page.evaluate(() => window.__wasm.memory.buffer.byteLength / 2 ** 20);
      const entries = await page.$$eval('[data-log]', (rows) => Math.max(...rows.map((r) => +r.dataset.commit || 0)));
      const ops = await page.$eval('[data-linearizable]', (e) => +(e.textContent.match(/\((\d+) operations\)/) || [])[1]).catch(() => null);
      samples.push({ minute, wasm_mb: +wasm.toFixed(1), js_heap_mb: +(usedSize / 2 ** 20).toFixed(1), committed: entries, ops });
    }
    results.compaction_80_min[compact ? 'compacting' : 'not_compacting'] = samples;
    await page.close();
  }
}

// 6. The views of a run in time: frames with the history view and the space-time diagram
//    open (9 Raft nodes under load at 1x); the space-time diagram of 64 gossip replicas after
//    10 simulated minutes, panned back and forth with the wheel (script time from a wheel event
//    until the diagram is redrawn); the largest shared history imported (from choosing the file until
//    its verdict and bars are drawn).
if (wanted('views')) {
  results.raft9_both_views_frame_ms = await frameTimes('seed=1&nodes=9&load=1', ['history', 'spacetime']);

  const page = await fresh('seed=1&nodes=64&protocol=gossip&load=1');
  const wall = Date.now();
  await page.selectOption('[data-action="speed"]', '100');
  await page.waitForFunction(() => Number(document.querySelector('[data-time]').dataset.time) >= 600000, null, { timeout: 900000, polling: 1000 });
  await page.click('[data-action="pause"]');
  const reached_s = (Date.now() - wall) / 1000;
  await page.click('[data-action="view-spacetime"]');
  await page.waitForSelector('[data-view="spacetime"] [data-arrow]');
  const steps = await page.evaluate(async () => {
    const times = [];
    const svg = () => document.querySelector('[data-view="spacetime"] svg');
    // Panned as a horizontal wheel or trackpad does: a twentieth of the span a step.
    const body = document.querySelector('[data-view="spacetime"] .view-body');
    for (let i = 0; i < 60; i++) {
      const wheel = new WheelEvent('wheel', { deltaX: i < 40 ? -40 : 40, bubbles: true, cancelable: true });
      const drawn = new Promise((done) => {
        const mo = new MutationObserver(() => { mo.disconnect(); done(performance.now()); });
        mo.observe(svg(), { subtree: true, childList: true, attributes: true, characterData: true });
      });
      const start = performance.now();
      body.dispatchEvent(wheel);
      times.push((await drawn) - start);
      await new Promise((r) => requestAnimationFrame(() => r()));
    }
    return { times, arrows: Number(document.querySelector('[data-view="spacetime"] [data-arrows]').dataset.arrows) };
  });
  results.spacetime_64_lanes_10_min = {
    wall_s_to_reach: +reached_s.toFixed(1), scroll_steps: steps.times.length, arrows_in_view: steps.arrows,
    step_p50_ms: +pct(steps.times, 0.5).toFixed(2), step_p95_ms: +pct(steps.times, 0.95).toFixed(2), step_max_ms: +Math.max(...steps.times).toFixed(2),
  };
  await page.close();

  const imp = await fresh('seed=1');
  await imp.click('[data-action="pause"]');
  const file = new URL('../../../shared/histories/kv/c10-bad.txt', import.meta.url).pathname;
  const start = await imp.evaluate(() => performance.now());
  await imp.setInputFiles('[data-action="import"]', file);
  const done = await (await imp.waitForFunction(() => {
    const v = document.querySelector('[data-view="history"] [data-verdict]');
    return v && v.dataset.verdict === 'violation' && document.querySelector('[data-view="history"] [data-hop]') && performance.now();
  }, null, { polling: 'raf', timeout: 60000 })).jsonValue();
  results.import_largest_history = {
    file: 'kv/c10-bad.txt', ms: +(done - start).toFixed(1),
    bars: await imp.$$eval('[data-view="history"] [data-hop]', (b) => b.length),
  };
  await imp.close();
}

// 8. Trace export of a long run: 9 Raft nodes under load at 100x until the trace's window has
//    forgotten its start, then Trace: the time from the click to the download, the file's
//    size, and the longest task the page ran meanwhile (Chromium's long-task entries: a frame
//    blocked for 50 ms or more), each the worst of 3 exports.
if (wanted('export')) {
  const page = await fresh('seed=5&nodes=9&load=1');
  await page.selectOption('[data-action="speed"]', '100');
  await page.waitForSelector('[data-trace-from]', { timeout: 600000 });
  await page.click('[data-action="pause"]');
  const runs = [];
  for (let i = 0; i < 3; i++) {
    await page.evaluate(() => {
      window.__long = [];
      window.__obs?.disconnect();
      window.__obs = new PerformanceObserver((l) => window.__long.push(...l.getEntries().map((e) => e.duration)));
      window.__obs.observe({ type: 'longtask' });
    });
    const start = Date.now();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120000 }), page.click('[data-action="export-trace"]')]);
    const ms = Date.now() - start;
    const path = await download.path();
    const { size } = await import('node:fs').then((fs) => fs.promises.stat(path));
    await page.waitForTimeout(200);
    runs.push({ ms, mb: size / 2 ** 20, longest_task_ms: Math.max(0, ...(await page.evaluate(() => window.__long))) });
  }
  results.trace_export = {
    simulated_min: +((await page.$eval('[data-time]', (e) => +e.dataset.time)) / 60000).toFixed(1),
    file_mb: +Math.max(...runs.map((r) => r.mb)).toFixed(1),
    click_to_download_ms: Math.max(...runs.map((r) => r.ms)),
    longest_task_ms: +Math.max(...runs.map((r) => r.longest_task_ms)).toFixed(0),
  };
  await page.close();
}

await browser.close();
server.close();
console.log(JSON.stringify(results));
