import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleFixture, startConsole } from './browser.js';

/*
 * The server's API reference page (GET /docs, Scalar's bundle served from node_modules) in headless
 * Chromium: it renders the routes of /openapi.json and asks nothing of any other origin, so it
 * works on a machine without internet access.
 */
describe('API reference page (/docs)', () => {
  let fx: ConsoleFixture;

  beforeAll(async () => {
    fx = await startConsole();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('renders the documented routes with every request to the same origin', async () => {
    const page = await fx.newPage();
    const requests: string[] = [];
    const failed: string[] = [];
    const errors: string[] = [];
    page.on('request', (request: Request) => requests.push(request.url()));
    page.on('requestfailed', (request: Request) => failed.push(request.url()));
    page.on('pageerror', (error: Error) => errors.push(error.message));
    await page.goto('/docs');
    // Routes from the document: the page fetched and rendered it (sections render when opened).
    await page.getByText('/ai/health/live').first().waitFor({ timeout: 60_000 });
    await page.getByText('features', { exact: true }).first().click();
    await page.getByText('Online feature vectors of 1 to 1000 entities').first().waitFor();
    const origin = new URL(fx.server.url).origin;
    const foreign = requests.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
    expect(foreign).toEqual([]);
    expect(requests).toContain(`${origin}/openapi.json`);
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
  });
});
