// Trunk post-build hook: gives the page a Content-Security-Policy that lets nothing run but
// its own files (the start-up script Trunk writes inline is allowed by its hash) and the
// compilation of its WebAssembly. A meta tag, so that it holds wherever the files are served.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const file = join(process.env.TRUNK_STAGING_DIR ?? 'dist', 'index.html');
const html = readFileSync(file, 'utf8');
const inline = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).filter((s) => s.trim());
if (inline.length === 0) throw new Error(`${file}: no start-up script found`);
const hashes = inline.map((s) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`);
const policy = [
  "default-src 'none'",
  `script-src 'self' ${hashes.join(' ')} 'wasm-unsafe-eval'`,
  "connect-src 'self'",            // the .wasm is fetched
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'", // colours of roles and terms are set per element
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
if (html.includes('Content-Security-Policy')) throw new Error(`${file} already has a policy`);
writeFileSync(file, html.replace('<head>', `<head>\n  <meta http-equiv="Content-Security-Policy" content="${policy}" />`));
