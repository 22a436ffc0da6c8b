// The web UI from web/dist (built by Vite) on the same port as the API, with client-side routes falling back to
// index.html. Without a build, `/` says how to make one: a missing UI is never a crash.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';

const missingUiPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rehearsal</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#eee;padding:.1rem .3rem;border-radius:3px}</style>
</head><body>
<h1>rehearsal is running</h1>
<p>The web UI has not been built yet. Build it with <code>npm run build:web</code>, then reload this page.</p>
<p>The API works already: <a href="/api/openapi.json">/api/openapi.json</a> describes it.</p>
</body></html>
`;

/** Headers for the UI's HTML: no framing, no sniffing, connections only to this origin. */
function setPageHeaders(response: Response): void {
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
  );
}

export function createStaticSite(webDistDir: string): Router {
  const router = express.Router();
  const serveFiles = express.static(webDistDir, { index: false, fallthrough: true, dotfiles: 'ignore', maxAge: '1h', immutable: false });
  router.use((request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      next();
      return;
    }
    const indexFile = join(webDistDir, 'index.html');
    if (!existsSync(indexFile)) {
      if (request.path === '/' || request.path === '/index.html') {
        setPageHeaders(response);
        response.status(200).type('html').send(missingUiPage);
        return;
      }
      next();
      return;
    }
    serveFiles(request, response, () => {
      // Not a file: an app route (/sandboxes/sb-...) gets the app; a missing asset (has an extension) is a 404.
      if (/\.[a-z0-9]+$/i.test(request.path)) {
        next();
        return;
      }
      setPageHeaders(response);
      response.setHeader('Cache-Control', 'no-cache');
      response.sendFile(indexFile);
    });
  });
  return router;
}
