import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysFileContent, SecretVolume } from '../support/auth';
import { launchChromium, runBrowserTests, warnIfSkipped } from '../support/chromium';
import { REPO_MODELS_DIR, useTestApp } from '../support/test-app';

warnIfSkipped('the Swagger UI browser test');

const SEVEN_PNG = path.resolve(__dirname, '../fixtures/digits/seven.png');

describe.skipIf(!runBrowserTests)('Swagger UI in a real browser', { timeout: 120_000 }, () => {
  const server = useTestApp({ env: { MODELS_DIR: REPO_MODELS_DIR }, listen: true });
  let browser: Browser;

  beforeAll(async () => {
    // Playwright starts Chromium with a fresh temporary profile of its own.
    browser = await launchChromium();
  });
  // Hooks after run in reverse order: the browser closes before the app.
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens the predict operation, presses "Try it out" and fills the model name. */
  async function tryPredict(page: Page, model: string) {
    await page.goto(`${server.url}/docs`);
    const operation = page.locator('#operations-models-PredictController_predict');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('tr[data-param-name="name"] input').fill(model);
    return operation;
  }

  async function executeAndReadBody(operation: ReturnType<Page['locator']>) {
    await operation.locator('button.execute').click();
    const body = operation.locator('.live-responses-table .response-col_description .highlight-code pre');
    await body.first().waitFor({ timeout: 60_000 });
    const status = (await operation.locator('.live-responses-table .response .response-col_status').first().textContent())?.trim();
    return { status, body: JSON.parse((await body.first().textContent()) ?? '') };
  }

  it('runs the iris example from "Try it out" and shows its predictions', async () => {
    const page = await browser.newPage();
    const operation = await tryPredict(page, 'iris');
    const { status, body } = await executeAndReadBody(operation);
    expect(status).toBe('200');
    expect(body.model).toBe('iris');
    expect(body.predictions.map((p: { label: string }) => p.label)).toEqual(['setosa', 'virginica']);
    await page.close();
  });

  it('uploads a digit PNG from the file picker and shows 7 as the top label', async () => {
    const page = await browser.newPage();
    const operation = await tryPredict(page, 'digits');
    await operation.locator('.body-param-content-type select').selectOption('multipart/form-data');
    await operation.locator('input[type="file"]').setInputFiles({
      name: 'seven.png',
      mimeType: 'image/png',
      buffer: readFileSync(SEVEN_PNG),
    });
    const { status, body } = await executeAndReadBody(operation);
    expect(status).toBe('200');
    expect(body.model).toBe('digits');
    expect(body.predictions[0].top_k[0].label).toBe('7');
    expect(body.predictions[0].top_k).toHaveLength(5);
    await page.close();
  });
});

describe.skipIf(!runBrowserTests)('Swagger UI with PREDICT_AUTH=keys: "Authorize" with an API key', { timeout: 120_000 }, () => {
  const KEY = 'swagger-key-5d3b1f7a9c2e';
  const volume = new SecretVolume(keysFileContent([{ id: 'docs-user', key: KEY, models: ['iris'] }]));
  const server = useTestApp({ models: ['iris'], listen: true, env: { PREDICT_AUTH: 'keys', API_KEYS_FILE: volume.file } });
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    volume.remove();
  });

  async function predictStatus(page: Page): Promise<string | undefined> {
    const operation = page.locator('#operations-models-PredictController_predict');
    if (!(await operation.locator('button.execute').isVisible())) {
      await operation.locator('.opblock-summary').click();
      await operation.locator('button.try-out__btn').click();
      await operation.locator('tr[data-param-name="name"] input').fill('iris');
    }
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 60_000 });
    return (await status.textContent())?.trim();
  }

  it('answers 401 before, and 200 once the key is given in the X-API-Key scheme of the Authorize dialog', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/docs`);
    expect(await predictStatus(page)).toBe('401');
    await page.locator('.scheme-container button.authorize').click();
    const scheme = page.locator('.auth-container').filter({ hasText: 'x_api_key' });
    await scheme.locator('input').fill(KEY);
    await scheme.locator('button.authorize').click();
    await page.locator('.modal-ux button.close-modal').click();
    await page.locator('.live-responses-table').first().waitFor();
    expect(await predictStatus(page)).toBe('200');
    expect(page.url()).not.toContain(KEY);
    await page.close();
  });
});
