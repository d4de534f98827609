import { mkdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, ConsoleMessage, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { keysFileContent, SecretVolume } from '../support/auth';
import { launchChromium, runBrowserTests, warnIfSkipped } from '../support/chromium';
import { REPO_MODELS_DIR, useTestApp } from '../support/test-app';

warnIfSkipped('the playground browser test');

const SEVEN_PNG = path.resolve(__dirname, '../fixtures/digits/seven.png');
/** Screenshots for people to look at (gitignored); docs/playground.png in the README is one of them, copied by hand. */
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/playground');

type Point = readonly [number, number];

// The page's DOM as far as the checks below read it, in the browser (the root tsconfig type-checks Node code: no DOM lib).
interface PageElement {
  id: string;
  tagName: string;
  outerHTML: string;
  textContent: string | null;
  labels?: ArrayLike<unknown> | null;
  getAttribute(name: string): string | null;
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: ArrayLike<number> } } | null;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<PageElement>;
  activeElement: PageElement | null;
  documentElement: { scrollWidth: number; clientWidth: number };
};
declare function getComputedStyle(element: unknown): { backgroundColor: string };
declare const sessionStorage: { getItem(key: string): string | null };
/**
 * Digits as a person draws them: polylines in the pad's own coordinates (0 to 1 across), one
 * array per stroke, drawn with the mouse at the page's pen width.
 */
const DIGIT_STROKES: Record<string, Point[][]> = {
  '0': [
    Array.from({ length: 25 }, (_, i): Point => {
      const angle = (i / 24) * 2 * Math.PI - Math.PI / 2;
      return [0.5 + 0.2 * Math.cos(angle), 0.5 + 0.3 * Math.sin(angle)];
    }),
  ],
  '1': [
    [
      [0.54, 0.18],
      [0.52, 0.4],
      [0.49, 0.62],
      [0.47, 0.82],
    ],
  ],
  '3': [
    [
      [0.3, 0.24],
      [0.4, 0.17],
      [0.54, 0.15],
      [0.66, 0.2],
      [0.69, 0.3],
      [0.63, 0.4],
      [0.5, 0.47],
      [0.44, 0.48],
      [0.56, 0.51],
      [0.68, 0.58],
      [0.71, 0.69],
      [0.64, 0.79],
      [0.5, 0.84],
      [0.36, 0.82],
      [0.28, 0.76],
    ],
  ],
  '7': [
    [
      [0.28, 0.2],
      [0.5, 0.19],
      [0.72, 0.19],
      [0.62, 0.38],
      [0.53, 0.6],
      [0.46, 0.83],
    ],
  ],
};

describe.skipIf(!runBrowserTests)('the playground (/ui) in a real browser', { timeout: 120_000 }, () => {
  const server = useTestApp({ env: { MODELS_DIR: REPO_MODELS_DIR }, listen: true });
  let browser: Browser;
  let page: Page;
  /** Console errors and uncaught exceptions of the page: none is allowed. */
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(`${server.url}/ui`);
  });
  // Hooks after run in reverse order: the browser closes before the app.
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(() => {
    expect(problems).toEqual([]);
  });

  const modelCard = (name: string): Locator => page.locator(`article.model-card[data-model="${name}"]`);
  const result = (): Locator => page.getByTestId('prediction-result');

  /** Picks a model and a version in "Try it" and waits until its input (form, upload, editor) is there. */
  async function choose(model: string, version = ''): Promise<void> {
    await page.getByLabel('Model', { exact: true }).selectOption(model);
    await page.getByLabel('Version (X-Model-Version)').selectOption(version);
  }

  /** Does what `act` does and waits for the answer it caused (the result's request counter moves on). */
  async function answerTo(act: () => Promise<void>): Promise<{ top: string; served: string }> {
    const shown = page.locator('.result[data-request]');
    const before = (await shown.count()) > 0 ? Number(await shown.getAttribute('data-request')) : 0;
    await act();
    await page.locator(`.result[data-request]:not([data-request="${before}"])`).waitFor();
    const top = (await page.getByTestId('top-label').textContent({ timeout: 5_000 }).catch(() => null)) ?? '(no top class)';
    const served = (await page.getByTestId('served-version').textContent()) ?? '';
    return { top, served };
  }

  it('loads: every model with its versions, their states, default version and labels, from the live API', async () => {
    await expect.poll(() => modelCard('iris').locator('tbody tr').count()).toBe(2);
    await expect.poll(() => modelCard('digits').locator('tbody tr').count()).toBe(1);
    const iris = modelCard('iris');
    expect(await iris.getByTestId('default-version').textContent()).toBe('1');
    expect(await iris.textContent()).toContain('stable → v1, canary → v2');
    expect(await iris.locator('tbody tr .state').allTextContents()).toEqual(['READY', 'READY']);
    // Per-version metadata from GET /v1/models/{name}.
    await expect.poll(() => iris.locator('tr[data-version="2"] .details').textContent()).toContain('4 features');
    await expect.poll(() => modelCard('digits').locator('.details').textContent()).toContain('images 28×28 grayscale');
    expect(await page.title()).toContain('Playground');
  });

  it('classifies digits drawn with the mouse on the canvas', async () => {
    await choose('digits');
    const pad = page.locator('canvas.pad');
    await pad.scrollIntoViewIfNeeded();
    const drawn: Record<string, string> = {};
    for (const [digit, strokes] of Object.entries(DIGIT_STROKES)) {
      await page.getByRole('button', { name: 'Clear' }).click();
      const box = (await pad.boundingBox())!;
      const at = ([x, y]: Point): [number, number] => [box.x + x * box.width, box.y + y * box.height];
      for (const stroke of strokes) {
        await page.mouse.move(...at(stroke[0]));
        await page.mouse.down();
        for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps: 2 });
        await page.mouse.up();
      }
      const { top } = await answerTo(() => page.getByRole('button', { name: 'Classify drawing' }).click());
      drawn[digit] = top;
      await pad.screenshot({ path: path.join(ARTIFACTS, `drawn-${digit}.png`) });
    }
    await page.locator('#try').screenshot({ path: path.join(ARTIFACTS, 'try-it-drawing.png') });
    // Every digit at once, so a failure shows what each drawing was taken for.
    expect(drawn).toEqual({ '0': '0', '1': '1', '3': '3', '7': '7' });
  });

  it('uploads a PNG, previews it and shows the top-k classes as bars', async () => {
    await choose('digits');
    const { top, served } = await answerTo(() =>
      page.getByLabel('Image file (PNG, JPEG, WebP or GIF)').setInputFiles({ name: 'seven.png', mimeType: 'image/png', buffer: readFileSync(SEVEN_PNG) }),
    );
    expect(top).toBe('7');
    expect(served).toBe('1');
    expect(await result().locator('.bars li').count()).toBe(5);
    expect(await result().locator('.bars li .bar-label').first().textContent()).toBe('7');
    await expect.poll(() => page.getByTestId('upload-preview').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    await page.locator('#try').screenshot({ path: path.join(ARTIFACTS, 'try-it-upload.png') });
  });

  it('predicts iris from the form built from its features, served by the version the picker names', async () => {
    await choose('iris');
    const measurements = { sepal_length: '6.7', sepal_width: '3.0', petal_length: '5.2', petal_width: '2.3' };
    for (const [feature, value] of Object.entries(measurements)) await page.getByLabel(feature, { exact: true }).fill(value);
    const served: Record<string, string> = {};
    for (const version of ['2', '1', 'canary', 'stable', '']) {
      await page.getByLabel('Version (X-Model-Version)').selectOption(version);
      // The form stays filled across versions of one model.
      await expect.poll(() => page.getByLabel('sepal_length', { exact: true }).inputValue()).toBe('6.7');
      const answer = await answerTo(() => page.getByRole('button', { name: 'Predict' }).click());
      expect(answer.top, `version ${version || 'default'}`).toBe('virginica');
      served[version || 'default'] = answer.served;
    }
    expect(served).toEqual({ '2': '2', '1': '1', canary: '2', stable: '1', default: '1' });
    expect(await result().locator('.bars li').count()).toBe(3);
  });

  it('sends the /v2 request pre-filled from the model metadata and shows the JSON answer', async () => {
    await choose('iris', '2');
    const editor = page.getByLabel('Request body of POST /v2/models/iris/infer (JSON)');
    await expect.poll(() => editor.inputValue()).toContain('"datatype": "FP32"');
    expect(JSON.parse(await editor.inputValue())).toEqual({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [0, 0, 0, 0] }] });
    await page.getByRole('button', { name: 'Send to /v2' }).click();
    await expect.poll(() => page.getByTestId('v2-status').textContent()).toBe('200');
    const body = JSON.parse((await page.getByTestId('v2-answer').locator('pre').textContent()) ?? '');
    expect(body).toMatchObject({ model_name: 'iris', model_version: '2', outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 3] }] });

    // An invalid request shows the protocol's error, not a blank.
    await editor.fill(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }));
    // A 400 is logged by Chromium as a failed resource load: expected here, so not counted as a problem.
    const before = problems.length;
    await page.getByRole('button', { name: 'Send to /v2' }).click();
    await expect.poll(() => page.getByTestId('v2-status').textContent()).toBe('400');
    expect(await page.getByTestId('v2-answer').textContent()).toContain('but the model expects [-1, 4]');
    problems.splice(before, problems.length - before, ...problems.slice(before).filter((p) => !p.includes('status of 400')));
  });

  it('draws the live charts from the service metrics once there is traffic', async () => {
    const rps = page.getByTestId('live-rps-iris');
    await page.locator('#live').scrollIntoViewIfNeeded();
    let sending = true;
    const body = JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] });
    // Traffic from outside the page, bounded, until the page has seen a scrape interval with some of it.
    const traffic = (async () => {
      for (let round = 0; sending && round < 400; round++) {
        await Promise.all(
          Array.from({ length: 4 }, () =>
            fetch(`${server.url}/v1/models/iris/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer()),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await expect.poll(async () => Number(await rps.textContent()), { timeout: 30_000 }).toBeGreaterThan(0);
      await expect.poll(async () => Number(await page.getByTestId('live-p50-iris').textContent()), { timeout: 30_000 }).toBeGreaterThan(0);
    } finally {
      sending = false;
      await traffic;
    }
    expect(Number(await page.getByTestId('live-batch-iris').textContent())).toBeGreaterThanOrEqual(1);
    // The requests/s and latency charts have drawn iris's line (its colour), not only their axes.
    for (const chart of ['rps', 'latency']) {
      const canvas = page.getByTestId(`chart-${chart}`).locator('canvas');
      expect(await canvas.count(), chart).toBe(1);
      const irisPixels = await canvas.evaluate((element, color: number[]) => {
        const chart = element as unknown as PageCanvas;
        const { data } = chart.getContext('2d')!.getImageData(0, 0, chart.width, chart.height);
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (Math.abs(data[i] - color[0]) < 40 && Math.abs(data[i + 1] - color[1]) < 40 && Math.abs(data[i + 2] - color[2]) < 40 && data[i + 3] > 0) count++;
        }
        return count;
      }, await irisColor(page));
      expect(irisPixels, `${chart}: pixels of iris's line`).toBeGreaterThan(0);
    }
    await page.locator('#live').screenshot({ path: path.join(ARTIFACTS, 'live.png') });
    await page.screenshot({ path: path.join(ARTIFACTS, 'page.png'), fullPage: true });
  });

  it('labels every control, and fits a 375 px wide phone screen without scrolling sideways', async () => {
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((control) => {
          const labels = control.labels;
          const named = (labels && labels.length > 0) || control.getAttribute('aria-label') || (control.tagName === 'BUTTON' && control.textContent?.trim());
          return !named;
        })
        .map((control) => control.outerHTML.slice(0, 120)),
    );
    expect(unlabelled).toEqual([]);
    // The keyboard reaches the pickers (real controls, in the tab order).
    await page.getByLabel('Model', { exact: true }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('version-picker');

    await page.setViewportSize({ width: 375, height: 800 });
    for (const [model, input] of [
      ['digits', page.locator('canvas.pad')],
      ['iris', page.getByLabel('petal_width', { exact: true })],
    ] as const) {
      await choose(model);
      await input.waitFor();
      const { scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      expect(scrollWidth, `${model}: page width at 375 px`).toBeLessThanOrEqual(clientWidth);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone.png'), fullPage: true });
  });
});

describe.skipIf(!runBrowserTests)('the playground with a FAILED version and a canary split', { timeout: 120_000 }, () => {
  const server = useTestApp({
    models: ['iris'],
    listen: true,
    prepare: async (modelsDir) => {
      await mkdir(path.join(modelsDir, 'iris', '3'));
      await writeFile(path.join(modelsDir, 'iris', '3', 'model.onnx'), Buffer.from([8, 7, 0, 255, 1, 2, 3]));
      await writeFile(
        path.join(modelsDir, 'iris', 'config.json'),
        JSON.stringify({
          default_version: 1,
          labels: { stable: 1, canary: 2 },
          weights: { '1': 90, '2': 10 },
          versions: { '2': { deprecated: '2026-01-01T00:00:00Z', sunset: '2099-06-01T00:00:00Z', link: 'https://example.com/iris-v2' } },
        }),
      );
    },
  });
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the FAILED version with its reason, the canary weights, a deprecated version, and the 404 a request for it gets', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (message: ConsoleMessage) => {
      // The one request for the FAILED version answers 404, which Chromium logs as a failed load: that one is expected.
      if (message.type() === 'error' && !message.text().includes('status of 404')) problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(`${server.url}/ui/`);
    const iris = page.locator('article.model-card[data-model="iris"]');
    await expect.poll(() => iris.locator('tbody tr').count()).toBe(3);
    expect(await iris.locator('tbody tr .state').allTextContents()).toEqual(['READY', 'READY', 'FAILED']);
    expect(await iris.locator('tr[data-version="3"] .details').textContent()).toMatch(/onnxruntime could not load iris\/3/);
    expect(await iris.textContent()).toContain('v1: 90% · v2: 10%');
    // The deprecated version is marked, with its sunset's date and the link to read; the others are not.
    expect(await iris.locator('tr[data-version="2"] .badge').allTextContents()).toEqual(['deprecated', 'sunset 2099-06-01']);
    expect(await iris.locator('tr[data-version="2"] a').getAttribute('href')).toBe('https://example.com/iris-v2');
    expect(await iris.locator('tr[data-version="1"] .badge').count()).toBe(0);

    const versions = page.getByLabel('Version (X-Model-Version)');
    expect(await versions.locator('option').allTextContents()).toEqual(['default (canary split)', '1', '2 (deprecated)', '3 (FAILED)', 'stable (v1)', 'canary (v2)']);
    // An answer of the deprecated version says so, with its Sunset header; one of another version does not.
    await versions.selectOption('2');
    const flower = { sepal_length: '5.1', sepal_width: '3.5', petal_length: '1.4', petal_width: '0.2' };
    for (const [feature, value] of Object.entries(flower)) await page.getByLabel(feature, { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => page.getByTestId('answer-deprecated').textContent()).toBe('deprecated, sunset Mon, 01 Jun 2099 00:00:00 GMT');
    await versions.selectOption('1');
    await page.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => page.getByTestId('served-version').textContent()).toBe('1');
    expect(await page.getByTestId('answer-deprecated').count()).toBe(0);
    await versions.selectOption('3');
    await expect.poll(() => page.locator('#try .error').first().textContent()).toMatch(/404: model "iris": version 3 is FAILED/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'failed-version.png'), fullPage: true });
    await page.close();
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!runBrowserTests)('the playground with a shadow version', { timeout: 120_000 }, () => {
  const server = useTestApp({
    models: ['iris'],
    listen: true,
    prepare: (modelsDir) => writeFile(path.join(modelsDir, 'iris', 'config.json'), JSON.stringify({ default_version: 1, labels: { canary: 2 }, shadow: { version: 'canary', sample: 1 } })),
  });
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("shows the shadow and its agreement with the served answers, with the 95% interval, as the report counts them", async () => {
    for (let i = 0; i < 6; i++) {
      const answer = await server.app.inject({
        method: 'POST',
        url: '/v1/models/iris/predict',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ instances: [[4.5 + i / 2, 3, 1 + i, 0.2 + i / 3]] }),
      });
      expect(answer.statusCode).toBe(200);
    }
    const report = await vi.waitFor(async () => {
      const answer = (await server.app.inject({ method: 'GET', url: '/v1/models/iris/shadow' })).json();
      expect(answer.rows).toBe(6);
      return answer;
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/ui/`);
    const shadow = page.locator('article.model-card[data-model="iris"] [data-testid="shadow"]');
    await expect.poll(() => shadow.textContent()).toContain('"canary", 100% of requests (v2)');
    const top1 = await page.locator('[data-testid="shadow-top1"]').textContent();
    expect(top1).toMatch(new RegExp(`^\\d+(\\.\\d)?% \\(95%: [\\d.]+%–[\\d.]+%\\) of 6$`));
    expect(top1).toMatch(new RegExp(`^${Math.round(report.top1.rate * 1000) / 10}`));
    expect(await page.locator('[data-testid="shadow-topk"]').textContent()).toMatch(/ of 6$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'shadow.png'), fullPage: true });
    await page.close();
  });
});

describe.skipIf(!runBrowserTests)('the playground with MODEL_LOADING=lazy', { timeout: 120_000 }, () => {
  const server = useTestApp({
    models: ['iris'],
    listen: true,
    prepare: (modelsDir) => cp(path.join(modelsDir, 'iris'), path.join(modelsDir, 'lazy-iris'), { recursive: true }),
    env: { MODEL_LOADING: 'lazy', REQUIRED_MODELS: 'iris', HTTP_PROCESSES: '1' },
  });
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows versions not loaded as AVAILABLE without loading them, and loads the one picked to try', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/ui/`);
    const card = page.locator('article.model-card[data-model="lazy-iris"]');
    await expect.poll(() => card.locator('tbody tr .state').allTextContents()).toEqual(['AVAILABLE', 'AVAILABLE']);
    expect(await card.locator('tr[data-version="2"] .details').textContent()).toBe('not loaded: its first request loads it');
    // Watching the list (refreshed every 2.5 s) loads nothing.
    const updated = page.locator('#models .panel-head .muted');
    const firstRead = await updated.textContent();
    await expect.poll(() => updated.textContent(), { timeout: 10_000 }).not.toBe(firstRead);
    expect(await card.locator('tbody tr .state').allTextContents()).toEqual(['AVAILABLE', 'AVAILABLE']);

    await page.getByLabel('Model', { exact: true }).selectOption('lazy-iris');
    await page.getByLabel('petal_width', { exact: true }).waitFor();
    await expect.poll(() => card.locator('tbody tr .state').allTextContents(), { timeout: 10_000 }).toEqual(['READY', 'AVAILABLE']);
    expect(await page.getByLabel('Version (X-Model-Version)').locator('option').allTextContents()).toContain('2 (AVAILABLE)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'lazy-loading.png'), fullPage: true });
    await page.close();
  });
});

/** The colour the page gave iris's series, as RGB (from its swatch in the numbers table). */
async function irisColor(page: Page): Promise<number[]> {
  const css = await page.getByTestId('live-rps-iris').locator('xpath=..').locator('.swatch').evaluate((el) => getComputedStyle(el).backgroundColor);
  return (css.match(/\d+/g) ?? []).slice(0, 3).map(Number);
}

describe.skipIf(!runBrowserTests)('the playground with PREDICT_AUTH=keys', { timeout: 120_000 }, () => {
  const KEY = 'playground-key-8a4c2e6f1b3d';
  const volume = new SecretVolume(keysFileContent([{ id: 'browser', key: KEY, models: ['iris'] }]));
  const server = useTestApp({ models: ['iris', 'digits'], listen: true, env: { PREDICT_AUTH: 'keys', API_KEYS_FILE: volume.file } });
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    volume.remove();
  });

  it('says a key is needed, then lists and predicts with the key given, kept in sessionStorage and never in the URL', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/ui/`);
    await expect.poll(() => page.locator('#models .error').textContent()).toMatch(/GET \/v1\/models answered 401: this API needs a credential/);

    await page.getByLabel('API key or token').fill(KEY);
    await page.getByRole('button', { name: 'Use' }).click();
    await expect.poll(() => page.locator('article.model-card').count(), { timeout: 10_000 }).toBe(1);
    // The key may use iris only: digits is not even named.
    expect(await page.locator('article.model-card').getAttribute('data-model')).toBe('iris');
    expect(await page.locator('#credential-state').textContent()).toBe('sent with every request of this tab');
    await page.getByLabel('Model', { exact: true }).selectOption('iris');
    const measurements = { sepal_length: '5.1', sepal_width: '3.5', petal_length: '1.4', petal_width: '0.2' };
    for (const [feature, value] of Object.entries(measurements)) await page.getByLabel(feature, { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Predict' }).click();
    expect(await page.getByTestId('top-label').textContent()).toBe('setosa');
    expect(await page.getByTestId('status').textContent()).toBe('200');

    expect(await page.evaluate(() => sessionStorage.getItem('onnx-model-server.credential'))).toBe(KEY);
    expect(page.url()).not.toContain(KEY);
    expect(await page.getByLabel('API key or token').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Forget' }).click();
    expect(await page.evaluate(() => sessionStorage.getItem('onnx-model-server.credential'))).toBeNull();
    await page.close();
  });
});
