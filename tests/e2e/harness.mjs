// Shared by the end-to-end tests and the measurement script: serve dist/ on a free loopback
// port and drive Debian's Chromium through playwright-core.
import { createServer } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
export const root = resolve(here, '../..');
const { chromium } = await import(join(root, '.tools/node_modules/playwright-core/index.mjs'));

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.png': 'image/png' };

export async function serveDist() {
  const dist = join(root, 'dist');
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = join(dist, path === '/' ? 'index.html' : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

// What every test file starts with: the page served, a browser, and the screenshots folder.
export async function start() {
  const server = await serveDist();
  const browser = await launch();
  await mkdir(join(root, 'target/screenshots'), { recursive: true });
  return { server, browser };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

// A new page at a link, once it has drawn its nodes (or its crash banner): the page, the
// errors it threw, and a wait for a DOM condition with a timeout. The page records what its
// Content-Security-Policy blocks in `window.__csp`.
export async function openPage(browser, server, hash) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${server.url}#${hash}`);
  const waitFor = (fn, arg, what, timeout = 30000) =>
    page.waitForFunction(fn, arg, { timeout, polling: 'raf' }).catch((e) => { throw new Error(`waiting for ${what}: ${e.message}`); });
  await waitFor(() => document.querySelector('[data-node]') || document.querySelector('[data-panic]'), null, 'the page');
  return { page, problems, waitFor };
}
