// The web UI's weight and speed: bytes a browser downloads (gzip) before the first screen, everything including
// the lazily loaded editor, and time from navigation to a usable page in Chromium. The anchor is the smallest
// honest comparison: a bare xterm.js page (terminal + fit addon, nothing else), built by the same Vite and
// loaded by the same browser. Every web terminal pays at least that; the ratio says what the rest costs.

import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { browserUnavailableReason } from '../test/helpers/env.ts';
import { launchChromium } from '../test/e2e/helpers/browser.ts';
import { buildWebUi, repoRoot, startServe } from '../test/e2e/helpers/serve-process.ts';
// Type-only: run.ts imports this module while it is still running, so a value import would deadlock.
import type { BenchRow } from './run.ts';

const loadRuns = 7;

const anchorHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xterm.js</title></head>
<body><div id="terminal" style="height:480px"></div><script type="module" src="/main.ts"></script></body></html>
`;

const anchorMain = `import '@xterm/xterm/css/xterm.css';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
const terminal = new Terminal();
const fit = new FitAddon();
terminal.loadAddon(fit);
terminal.open(document.getElementById('terminal'));
fit.fit();
terminal.write('ready');
`;

const anchorConfig = `export default { root: import.meta.dirname, logLevel: 'warn', build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' } };
`;

function runNode(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} failed (${code}): ${output.slice(-2000)}`))));
  });
}

/** The bare xterm.js page, built by Vite in a temporary project that borrows this repository's node_modules. */
async function buildAnchor(workDir: string): Promise<string> {
  const project = join(workDir, 'xterm-anchor');
  await mkdir(project, { recursive: true });
  await writeFile(join(project, 'index.html'), anchorHtml);
  await writeFile(join(project, 'main.ts'), anchorMain);
  await writeFile(join(project, 'vite.config.mjs'), anchorConfig);
  await symlink(join(repoRoot, 'node_modules'), join(project, 'node_modules'), 'dir');
  await runNode([join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(project, 'vite.config.mjs')], project);
  return join(project, 'dist');
}

interface BundleSize {
  /** What index.html makes the browser fetch at once: entry script, module preloads, stylesheets. */
  readonly initialGzipBytes: number;
  /** Every script and stylesheet the build emitted (lazy chunks included), source maps excluded. */
  readonly totalGzipBytes: number;
}

async function measureBundle(distDir: string): Promise<BundleSize> {
  const html = await readFile(join(distDir, 'index.html'), 'utf8');
  const initial = new Set<string>();
  for (const match of html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)) if (match[1] !== undefined) initial.add(match[1]);
  const gzipSize = async (relative: string): Promise<number> => gzipSync(await readFile(join(distDir, relative))).length;
  let initialGzipBytes = gzipSync(html).length;
  for (const file of initial) initialGzipBytes += await gzipSize(file);
  let totalGzipBytes = gzipSync(html).length;
  for (const file of await readdir(join(distDir, 'assets'))) {
    if (file.endsWith('.js') || file.endsWith('.css')) totalGzipBytes += await gzipSize(join('assets', file));
  }
  return { initialGzipBytes, totalGzipBytes };
}

const contentTypes: Readonly<Record<string, string>> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** A plain static server for the anchor page (ours is served by `rehearse serve`, as users get it). */
async function serveStatic(root: string): Promise<{ readonly origin: string; readonly server: Server }> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(root, path === '/' ? 'index.html' : path);
    readFile(file)
      .then((body) => {
        response.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream' });
        response.end(body);
      })
      .catch(() => {
        response.writeHead(404);
        response.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string') throw new Error('the static server has no TCP address');
  return { origin: `http://127.0.0.1:${address.port}`, server };
}

/** Records, inside the page, the first moment `selector` exists; run before any page script. */
function interactiveProbe(selector: string): string {
  const quoted = JSON.stringify(selector);
  return `(() => {
    const mark = () => { if (window.__interactiveAtMs === undefined && document.querySelector(${quoted})) { window.__interactiveAtMs = performance.now(); return true; } return false; };
    new MutationObserver((_, observer) => { if (mark()) observer.disconnect(); }).observe(document, { childList: true, subtree: true, attributes: true });
  })();`;
}

async function measureLoads(url: string, selector: string): Promise<number[]> {
  const browser = await launchChromium();
  try {
    const times: number[] = [];
    for (let run = 0; run < loadRuns; run += 1) {
      // A fresh context per load: empty cache, as on a first visit.
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.addInitScript({ content: interactiveProbe(selector) });
      await page.goto(url);
      // Functions, not strings: the UI's Content-Security-Policy forbids evaluating strings in the page.
      await page.waitForFunction(() => Reflect.get(globalThis, '__interactiveAtMs') !== undefined, undefined, { timeout: 30_000 });
      const value: unknown = await page.evaluate(() => Reflect.get(globalThis, '__interactiveAtMs'));
      if (typeof value !== 'number') throw new Error(`no interactive time recorded for ${url}`);
      times.push(value);
      // Let requests still in flight finish, so this load's work does not slow the next one down.
      await page.waitForLoadState('networkidle');
      await context.close();
    }
    return times;
  } finally {
    await browser.close();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const kib = (bytes: number): number => bytes / 1024;

export async function run(): Promise<BenchRow[]> {
  const workDir = await mkdtemp(join(tmpdir(), 'rehearsal-web-bench-'));
  try {
    const anchorDist = await buildAnchor(workDir);
    const anchorSize = await measureBundle(anchorDist);
    const oursDist = join(workDir, 'web-dist');
    await buildWebUi(oursDist);
    const oursSize = await measureBundle(oursDist);
    const rows: BenchRow[] = [
      {
        figure: 'web UI download before first screen (gzip)',
        ours: kib(oursSize.initialGzipBytes),
        anchor: kib(anchorSize.initialGzipBytes),
        unit: 'KiB',
        ratio: anchorSize.initialGzipBytes / oursSize.initialGzipBytes,
        note: 'index.html + entry + modulepreloads + CSS; anchor: bare xterm.js + fit page, same Vite build',
      },
      {
        figure: 'web UI total incl. lazy editor (gzip)',
        ours: kib(oursSize.totalGzipBytes),
        anchor: kib(anchorSize.totalGzipBytes),
        unit: 'KiB',
        ratio: anchorSize.totalGzipBytes / oursSize.totalGzipBytes,
        note: 'every emitted .js/.css (CodeMirror loads on the Policies tab); zod, xterm and CodeMirror are most of it',
      },
    ];
    const browserReason = browserUnavailableReason();
    if (browserReason !== undefined) {
      rows.push({ figure: 'page load to interactive', ours: `skipped: ${browserReason}`, anchor: 'skipped', unit: 'ms', note: '' });
      return rows;
    }
    const anchorServer = await serveStatic(anchorDist);
    const serve = await startServe();
    try {
      const anchor = median(await measureLoads(`${anchorServer.origin}/`, '.xterm-screen'));
      // Our own cost: the page rendered with its first API answers (info, scenarios, sandboxes).
      const shell = median(await measureLoads(`${serve.origin}/#/new`, '.launch-form select[name="scenario"]'));
      // Usable: Launch enabled, which waits for GET /api/providers (the server checks Docker, Pulumi, kind...).
      const usable = median(await measureLoads(`${serve.origin}/#/new`, '.launch-form button[type="submit"]:not([disabled])'));
      rows.push(
        {
          figure: `page load to first screen (median of ${loadRuns}, cold cache)`,
          ours: shell,
          anchor,
          unit: 'ms',
          ratio: anchor / shell,
          note: 'ours: launch form drawn from /api/info + /api/scenarios (rehearse serve); anchor: terminal opened (static server)',
        },
        {
          figure: `page load to interactive (median of ${loadRuns}, cold cache)`,
          ours: usable,
          anchor,
          unit: 'ms',
          ratio: anchor / usable,
          note: 'ours: Launch enabled, after GET /api/providers, whose host checks dominate; anchor as above',
        },
      );
    } finally {
      anchorServer.server.close();
      await serve.stop();
    }
    return rows;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
