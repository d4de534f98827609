import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestApp, withTestApp } from '../../test/support/test-app';
import { loadConfig } from '../config/app-config';
import { UI_DIST_DIR, UiAssets } from './ui-assets';

/** The playground's files as the service serves them; the page itself is tested in Chromium (test/browser/playground.spec.ts). */
describe('GET /ui', () => {
  const server = useTestApp({ models: ['iris'] });

  it('answers the page at /ui and at /ui/, under the service Content-Security-Policy', async () => {
    for (const url of ['/ui', '/ui/']) {
      const response = await server.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toBe(readFileSync(path.join(UI_DIST_DIR, 'index.html'), 'utf8'));
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    }
  });

  it('serves the bundle the page loads, with no inline script, and revalidates it with its ETag', async () => {
    const page = (await server.app.inject({ method: 'GET', url: '/ui/' })).body;
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const files = [...page.matchAll(/(?:src|href)="\/ui\/([^"]+)"/g)].map((match) => match[1]);
    expect(files.sort()).toEqual(['favicon.svg', 'playground.css', 'playground.js']);
    for (const [file, type] of [
      ['playground.js', 'text/javascript; charset=utf-8'],
      ['playground.css', 'text/css; charset=utf-8'],
      ['favicon.svg', 'image/svg+xml'],
    ]) {
      const response = await server.app.inject({ method: 'GET', url: `/ui/${file}` });
      expect(response.statusCode, file).toBe(200);
      expect(response.headers['content-type']).toBe(type);
      expect(response.headers['cache-control']).toBe('no-cache');
      const etag = response.headers.etag as string;
      expect(etag).toMatch(/^"[\w-]+"$/);
      const again = await server.app.inject({ method: 'GET', url: `/ui/${file}`, headers: { 'if-none-match': etag } });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
    }
  });

  it('answers unknown files under /ui/ with a 404 in the service error shape', async () => {
    for (const url of ['/ui/nope.js', '/ui/.inputs-sha256', '/ui/index.html', '/ui/playground.js/x', '/ui/..%2Fpackage.json', '/ui/%2e%2e/package.json']) {
      const response = await server.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toEqual({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: expect.stringMatching(/^Cannot GET \//) });
    }
  });

  it('is not part of the OpenAPI document', async () => {
    const document = (await server.app.inject({ method: 'GET', url: '/docs-json' })).json();
    expect(Object.keys(document.paths).filter((route) => route.startsWith('/ui'))).toEqual([]);
    expect(document.info.description).toContain('[the playground](/ui)');
  });
});

describe('UI_ENABLED=false', () => {
  it('turns /ui into a 404 like any unknown URL, and Swagger UI no longer links to it', async () => {
    await withTestApp({ models: ['iris'], env: { UI_ENABLED: 'false' } }, async ({ app }) => {
      for (const url of ['/ui', '/ui/', '/ui/playground.js']) {
        const response = await app.inject({ method: 'GET', url });
        expect(response.statusCode, url).toBe(404);
        expect(response.json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
      }
      expect((await app.inject({ method: 'GET', url: '/docs-json' })).json().info.description).not.toContain('/ui');
    });
  });
});

describe('UI_ENABLED', () => {
  it('is on by default, and takes only true or false', () => {
    expect(loadConfig({}).UI_ENABLED).toBe(true);
    expect(loadConfig({ UI_ENABLED: 'false' }).UI_ENABLED).toBe(false);
    expect(loadConfig({ UI_ENABLED: 'true' }).UI_ENABLED).toBe(true);
    expect(() => loadConfig({ UI_ENABLED: 'no' })).toThrow(/UI_ENABLED="no": UI_ENABLED must be true or false/);
  });
});

describe('UiAssets', () => {
  it('serves nothing, and says how to build the page, when ui/dist is missing', () => {
    const assets = UiAssets.load(path.join(UI_DIST_DIR, 'no-such-folder'));
    expect(assets.names).toEqual([]);
    expect(assets.missingReason).toMatch(/the playground is not built .*npm run build/);
  });
});
