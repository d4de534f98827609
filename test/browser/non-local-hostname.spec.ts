import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTNAME_ARGS, launchChromium, NON_LOCAL_HOSTNAME, runBrowserTests, warnIfSkipped } from '../support/chromium';
import { REPO_MODELS_DIR, useTestApp } from '../support/test-app';

warnIfSkipped('the browser test under a non-local hostname');

/**
 * The playground and Swagger UI opened as a user outside the pod opens them: over plain HTTP under a
 * hostname that is not localhost. 127.0.0.1 hides what the security headers do to such a page
 * (upgrade-insecure-requests sent its scripts to https:// and both pages stayed blank).
 */
describe.skipIf(!runBrowserTests)('the pages over plain HTTP under a non-local hostname', { timeout: 120_000 }, () => {
  const server = useTestApp({ env: { MODELS_DIR: REPO_MODELS_DIR }, listen: true });
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium(HOSTNAME_ARGS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens `path` under the hostname, recording what went wrong: failed requests, requests elsewhere, console errors and warnings. */
  async function open(path: string): Promise<{ page: Page; problems: string[] }> {
    const origin = `http://${NON_LOCAL_HOSTNAME}:${server.port}`;
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(`${origin}/`) && !request.url().startsWith('data:')) problems.push(`request elsewhere: ${request.url()}`);
    });
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(`${origin}${path}`);
    return { page, problems };
  }

  it('shows the playground with every model, and predicts from its form', async () => {
    const { page, problems } = await open('/ui');
    const card = (name: string) => page.locator(`article.model-card[data-model="${name}"]`);
    await expect.poll(() => card('iris').locator('tbody tr').count(), { timeout: 20_000 }).toBe(2);
    await expect.poll(() => card('digits').locator('tbody tr').count()).toBe(1);
    expect(await card('iris').locator('tbody tr .state').allTextContents()).toEqual(['READY', 'READY']);

    await page.getByLabel('Model', { exact: true }).selectOption('iris');
    const measurements = { sepal_length: '6.7', sepal_width: '3.0', petal_length: '5.2', petal_width: '2.3' };
    for (const [feature, value] of Object.entries(measurements)) await page.getByLabel(feature, { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Predict' }).click();
    expect(await page.getByTestId('top-label').textContent({ timeout: 20_000 })).toBe('virginica');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows Swagger UI with its operations, and runs one from "Try it out"', async () => {
    const { page, problems } = await open('/docs');
    await expect.poll(() => page.locator('.opblock').count(), { timeout: 20_000 }).toBeGreaterThan(10);
    const operation = page.locator('#operations-models-PredictController_predict');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('tr[data-param-name="name"] input').fill('iris');
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor({ timeout: 20_000 });
    expect((await status.textContent())?.trim()).toBe('200');
    expect(problems).toEqual([]);
    await page.close();
  });
});
