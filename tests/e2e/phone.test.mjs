// The page on a phone: 390 x 844 with touch, in headless Chromium. The page fits the screen's
// width, a lesson is completed and a node crashed by tapping, and the timeline is dragged by
// touch. Every wait is for a DOM condition, with a timeout. Screenshots:
// target/screenshots/phone-{lesson,crash}.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { start, root } from './harness.mjs';

let server, browser;
before(async () => ({ server, browser } = await start()));
after(async () => { await browser?.close(); server?.close(); });

async function phone(hash) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${server.url}#${hash}`);
  await page.waitForSelector('[data-node]');
  const waitFor = (fn, arg, what, timeout = 60000) =>
    page.waitForFunction(fn, arg, { timeout, polling: 'raf' }).catch((e) => { throw new Error(`waiting for ${what}: ${e.message}`); });
  return { page, problems, waitFor, context };
}

test('on a phone the page fits the screen, the Raft elections lesson is completed by tapping', async () => {
  const { page, problems, waitFor, context } = await phone('seed=1');
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
  assert.ok(scroll <= width, `the page is ${scroll} px wide in a ${width} px screen`);
  await page.selectOption('[data-action="lessons"]', { label: 'Raft: elections' });
  const step = (k) => waitFor((s) => +document.querySelector('[data-lesson]')?.dataset.step === s, k, `step ${k}`);
  await step(1);
  await page.tap('button:has-text("▶ Play")');
  await step(3);
  await page.screenshot({ path: join(root, 'target/screenshots/phone-lesson.png') });
  const old = await page.$eval('[data-node][data-role="leader"]', (n) => n.dataset.node);
  await page.tap(`[data-node="${old}"] circle.body`);
  // The bar of actions stands beside the node, whole on the screen.
  const bar = await (await page.$('.actions-bar')).boundingBox();
  assert.ok(bar.x >= 0 && bar.x + bar.width <= 390, `the actions bar spans ${bar.x} to ${bar.x + bar.width} px`);
  await page.tap('button:has-text("Crash")');
  await step(5);
  await page.tap(`[data-node="${old}"] circle.body`);
  await page.tap('button:has-text("Restart")');
  await waitFor(() => document.querySelector('[data-lesson][data-finished]'), null, 'the lesson done');
  assert.deepEqual(problems, []);
  await context.close();
});

test('on a phone a node is crashed by tapping, and the timeline dragged back by touch', async () => {
  const { page, problems, waitFor, context } = await phone('seed=2');
  await waitFor(() => document.querySelector('[data-node][data-role="leader"]'), null, 'a leader');
  await page.tap('[data-node="0"] circle.body');
  await page.tap('button:has-text("Crash")');
  await waitFor(() => document.querySelector('[data-node="0"][data-role="down"]'), null, 'n0 down');
  await page.tap('button:has-text("❚❚ Pause")');
  await page.screenshot({ path: join(root, 'target/screenshots/phone-crash.png') });
  // Drag the timeline's thumb to the left by touch: the run goes back before the crash.
  const box = await (await page.$('[data-action="timeline"]')).boundingBox();
  const y = box.y + box.height / 2;
  const client = await context.newCDPSession(page);
  const touch = (type, x) => client.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
  await touch('touchStart', box.x + box.width - 4);
  for (let x = box.x + box.width - 4; x > box.x + 4; x -= 20) await touch('touchMove', x);
  await touch('touchEnd');
  await waitFor(() => document.querySelector('[data-node="0"]').dataset.role !== 'down', null, 'the moment before the crash');
  assert.deepEqual(problems, []);
  await context.close();
});
