import { isAihubError } from '@aihub/client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleFixture,
  registerVersion,
  screenshot,
  seriousViolations,
  shownTime,
  signIn,
  startConsole,
} from './browser.js';

/*
 * The console in headless Chromium against the real server: signing in, the models list and its
 * URL filters, promoting in the UI and the audit timeline, and what a reader key may not do.
 */
describe('web console: models', () => {
  let fx: ConsoleFixture;
  let page: Page;
  let readerKey: string;

  beforeAll(async () => {
    fx = await startConsole();
    readerKey = (await fx.admin.keys.create.mutate({ name: 'console-reader', role: 'reader' })).token;
    page = await fx.newPage();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('is served at / and at client-side routes, while API paths keep their own answers', async () => {
    for (const path of ['/', '/models/load-forecast', '/exports?status=running']) {
      const res = await fetch(new URL(path, fx.server.url));
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(await res.text(), path).toContain('<div id="root"></div>');
    }
    for (const path of ['/trpc/nope', '/v1/nope', '/metrics/nope', '/docs/nope', '/ai/nope']) {
      const res = await fetch(new URL(path, fx.server.url));
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
    }
    expect((await fetch(new URL('/livez', fx.server.url))).status).toBe(200);
  });

  it('signs in with a key kept in session storage only, showing the project and role', async () => {
    await page.goto('/');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('aihub_wrongkey_nottherightsecretatallnottherightsecret00000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('UNAUTHORIZED');
    expect(await alert.getByTestId('request-id').textContent()).toMatch(/^[A-Za-z0-9._-]{8,}$/);

    // By keyboard alone: Tab to the key field, type, Enter.
    await page.goto('/');
    await page.getByLabel('API key').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key');
    await page.keyboard.type(fx.server.adminKey);
    await page.keyboard.press('Enter');
    await page.getByTestId('whoami').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const who = await page.getByTestId('whoami').textContent();
    expect(who).toContain('project admin');
    expect(who).toContain('admin');
    expect(await page.evaluate(() => sessionStorage.getItem('aihub.apiKey'))).toBe(fx.server.adminKey);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(page.url()).not.toContain(fx.server.adminKey);
  });

  it('filters versions by a metric expression kept in the URL, and shows the server refusing a bad one', async () => {
    await registerVersion(fx, 'load-forecast', { mape: 0.2, rmse: 12 });
    await registerVersion(fx, 'load-forecast', { mape: 0.1, rmse: 9 });
    await registerVersion(fx, 'other-model', { mape: 0.05 });

    await page.goto('/models?metric=mape%3C0.15');
    const table = page.locator('table tbody');
    await table.waitFor();
    // mape < 0.15: load-forecast v2 (0.1) and other-model v1 (0.05), not load-forecast v1 (0.2).
    await expect.poll(() => table.locator('tr').count()).toBe(2);
    const text = await table.textContent();
    expect(text).toContain('mape=0.1');
    expect(text).toContain('mape=0.05');
    expect(text).not.toContain('mape=0.2');
    expect(await page.getByLabel(/Metric expressions/).inputValue()).toBe('mape<0.15');
    await screenshot(page, 'models');
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel(/Metric expressions/).fill('mape <');
    await page.getByRole('button', { name: 'Apply' }).click();
    expect(page.url()).toContain('metric=mape+%3C');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('is not a comparison like');
    expect(await alert.getByTestId('request-id').textContent()).toMatch(/^[A-Za-z0-9._-]{8,}$/);
  });

  it('promotes v1 then v2 in the UI; the timeline shows v1 holding production until v2 replaced it', async () => {
    await page.goto('/models/load-forecast');
    await page.getByRole('button', { name: 'Promote load-forecast v1' }).click();
    let dialog = page.getByRole('dialog');
    expect(await dialog.getByTestId('promote-consequence').textContent()).toContain(
      'nothing will be archived',
    );
    await dialog.getByLabel(/Comment/).fill('first release');
    await dialog.getByRole('button', { name: 'Move v1 to production' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('[data-testid=timeline] tr[data-holder=production][data-version="1"]').waitFor();

    await page.getByRole('button', { name: 'Promote load-forecast v2' }).click();
    dialog = page.getByRole('dialog');
    expect(await dialog.getByTestId('promote-consequence').textContent()).toContain(
      'v1 is in production now and will be moved to archived',
    );
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Move v2 to production' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const v2Row = page.locator('[data-testid=timeline] tr[data-holder=production][data-version="2"]');
    await v2Row.waitFor();

    // What the server recorded, read through the API: the moment v1 left production.
    const events = await fx.admin.models.history.query({ name: 'load-forecast' });
    const archived = events.find((e) => e.version === 1 && e.from === 'production' && e.to === 'archived');
    const promotedV1 = events.find((e) => e.version === 1 && e.to === 'production');
    expect(archived).toBeDefined();
    expect(promotedV1?.comment).toBe('first release');
    const v1Row = page.locator('[data-testid=timeline] tr[data-holder=production][data-version="1"]');
    expect(await v1Row.getByTestId('held-until').textContent()).toBe(shownTime(new Date(archived!.at)));
    expect(await v1Row.textContent()).toContain(shownTime(new Date(promotedV1!.at)));
    expect(await v1Row.getByTestId('ended-as').textContent()).toBe('archived by bootstrap-admin');
    expect(await v2Row.getByTestId('held-until').textContent()).toBe('now');
    const v1 = await fx.admin.models.get.query({ name: 'load-forecast', version: 1 });
    expect(v1.stage).toBe('archived');
    await screenshot(page, 'model');
  });

  it('a reader sees no promote, alias or delete actions, and the server refuses a promote from the page', async () => {
    const readerPage = await fx.newPage();
    await signIn(readerPage, readerKey);
    expect(await readerPage.getByTestId('whoami').textContent()).toContain('reader');
    await readerPage.goto('/models/load-forecast');
    await readerPage.getByRole('button', { name: 'Download load-forecast v1' }).waitFor();
    expect(await readerPage.getByRole('button', { name: /^Promote / }).count()).toBe(0);
    expect(await readerPage.getByRole('button', { name: /^Set an alias/ }).count()).toBe(0);
    expect(await readerPage.getByRole('button', { name: /^Delete / }).count()).toBe(0);
    expect(await readerPage.getByRole('link', { name: 'Keys' }).count()).toBe(0);

    // The server refuses it too: the same call the console would make, from the page with the reader key.
    const answer = await readerPage.evaluate(async (key) => {
      const res = await fetch('/trpc/models.promote', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ json: { name: 'load-forecast', version: 1, to: 'production' } }),
      });
      return { status: res.status, body: await res.text() };
    }, readerKey);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('FORBIDDEN');
    try {
      await fx
        .client(readerKey)
        .models.promote.mutate({ name: 'load-forecast', version: 1, to: 'production' });
      expect.unreachable('a reader promoted a version');
    } catch (error) {
      expect(isAihubError(error, 'FORBIDDEN')).toBe(true);
    }
    expect((await fx.admin.models.get.query({ name: 'load-forecast', stage: 'production' })).version).toBe(2);
    await readerPage.context().close();
  });

  it('sets and removes an alias in the UI, and an admin deletes an archived version after confirming', async () => {
    await page.goto('/models/load-forecast');
    await page.getByRole('button', { name: 'Set an alias on load-forecast v2' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Alias/).fill('champion');
    await dialog.getByRole('button', { name: 'Set alias' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const held = page.locator('[data-testid=timeline] tr[data-holder=champion][data-version="2"]');
    await held.waitFor();
    expect(await held.getByTestId('held-until').textContent()).toBe('now');
    expect((await fx.admin.models.get.query({ name: 'load-forecast', alias: 'champion' })).version).toBe(2);

    await page.getByRole('button', { name: 'Remove alias champion from v2' }).click();
    await expect.poll(() => held.getByTestId('ended-as').textContent()).toBe('removed by bootstrap-admin');

    await page.getByRole('button', { name: 'Delete load-forecast v1' }).click();
    const confirm = page.getByRole('dialog');
    expect(await confirm.textContent()).toContain('The artifact and the version');
    await confirm.getByRole('button', { name: 'Delete v1' }).click();
    await page.locator('[data-testid=versions] tr[data-version="1"]').waitFor({ state: 'detached' });
    const versions = await fx.admin.models.list.query({ nameContains: 'load-forecast' });
    expect(versions.items.map((v) => v.version)).toEqual([2]);
  });
});
