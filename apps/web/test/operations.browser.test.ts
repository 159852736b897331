import { isAihubError } from '@aihub/client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleFixture, screenshot, seriousViolations, signIn, startConsole } from './browser.js';

const HOUR = 3_600_000;

/** datetime-local's value for an instant, in UTC (the console reads it as UTC). */
const localInput = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/*
 * The console's operational pages in headless Chromium against the real server: an export started
 * in the UI, watched to 100 % without reloading, API keys created and revoked, a feature set defined
 * (and refused inline), and the freshness page with an entity's hourly means.
 */
describe('web console: exports, keys, feature sets and freshness', () => {
  let fx: ConsoleFixture;
  let page: Page;
  const endHour = Math.floor(Date.now() / HOUR) * HOUR;

  beforeAll(async () => {
    fx = await startConsole();
    await fx.admin.ingest.entities.mutate({ records: [{ entity_id: 'm1' }, { entity_id: 'm2' }] });
    const readings: Record<string, unknown>[] = [];
    for (const id of ['m1', 'm2']) {
      for (let h = 48; h >= 1; h--) {
        readings.push({
          entity_id: id,
          metric: 'kwh',
          ts: new Date(endHour - h * HOUR + 600_000).toISOString(),
          value: h,
        });
      }
    }
    await fx.admin.ingest.readings.mutate({ records: readings, strict: true });
    await fx.admin.aggregates.refresh.mutate();
    page = await fx.newPage();
    await signIn(page, fx.server.adminKey);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('starts an export and shows its progress reach 100 % without a reload', async () => {
    await page.getByRole('link', { name: 'Exports' }).click();
    await page.getByText('No exports yet.').waitFor();
    await page.getByText('New export').click();
    await page.getByLabel('Metric').fill('kwh');
    // 2 entities x 24 whole hours = 48 rows.
    await page.getByLabel('Start (UTC)').fill(localInput(endHour - 24 * HOUR));
    await page.getByLabel('End (UTC)').fill(localInput(endHour));
    await page.getByRole('button', { name: 'Start export' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').textContent()).toContain('48 rows');

    // The list reads itself again while the export is queued or running: no reload here.
    const row = page.locator('[data-testid=exports] tbody tr[data-status=succeeded]');
    await row.waitFor({ timeout: 60_000 });
    expect(await row.getByTestId('progress').textContent()).toBe('48 / 48 rows (100 %)');
    expect(await row.getByRole('progressbar').getAttribute('value')).toBe('100');
    await screenshot(page, 'exports');
    expect(await seriousViolations(page)).toEqual([]);

    const [listed] = (await fx.admin.features.exports.query({})).items;
    expect(listed).toMatchObject({ status: 'succeeded', rowsWritten: 48, totalRows: 48, metric: 'kwh' });
    // The detail's download link is the presigned URL of the file the server describes.
    await page.goto(`/exports?id=${listed!.id}`);
    const link = page.getByTestId('export-detail').getByRole('link', { name: /download/ });
    const file = await fetch((await link.getAttribute('href')) as string);
    expect(file.status).toBe(200);
    expect((await file.arrayBuffer()).byteLength).toBe(listed!.bytes);
  });

  it('shows the server refusing a bad export inline, naming the field', async () => {
    await page.goto('/exports');
    await page.getByText('New export').click();
    await page.getByLabel('Metric').fill('kwh');
    await page.getByLabel('Start (UTC)').fill(localInput(endHour));
    await page.getByLabel('End (UTC)').fill(localInput(endHour - HOUR));
    await page.getByRole('button', { name: 'Start export' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await page.locator('ul.field-errors').textContent()).toContain('start must be before end');
    expect(await alert.getByTestId('request-id').textContent()).toMatch(/^[A-Za-z0-9._-]{8,}$/);
  });

  it('creates a key whose token is shown once, then revokes it so the server refuses it', async () => {
    await page.getByRole('link', { name: 'Keys' }).click();
    // Names are 1-100 characters: 101 is refused, and the server's reason shows beside the field.
    await page.getByLabel('Name').fill('k'.repeat(101));
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.locator('p.field-errors').waitFor();
    expect(await page.locator('p.field-errors').textContent()).toBe('must be at most 100 characters');

    await page.getByLabel('Name').fill('ci-temp');
    await page.getByLabel('Role').selectOption('writer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const token = (await page.getByTestId('new-token').textContent()) as string;
    expect((await fx.client(token).auth.whoami.query()).keyName).toBe('ci-temp');
    await page.locator('tr[data-key=ci-temp]').waitFor();
    await screenshot(page, 'keys');
    // Shown once: after a reload the token is nowhere on the page.
    await page.reload();
    await page.locator('tr[data-key=ci-temp]').waitFor();
    expect(await page.content()).not.toContain(token);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Revoke ci-temp' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('writer key fails from the next one on');
    await dialog.getByRole('button', { name: 'Revoke ci-temp' }).click();
    await page.locator('tr[data-key=ci-temp]').waitFor({ state: 'detached' });
    try {
      await fx.client(token).auth.whoami.query();
      expect.unreachable('a revoked key was accepted');
    } catch (error) {
      expect(isAihubError(error, 'UNAUTHORIZED')).toBe(true);
    }
    await page.getByLabel('Show revoked keys').check();
    await page.locator('tr[data-key=ci-temp]').waitFor();
    expect(await page.locator('tr[data-key=ci-temp] td').nth(5).textContent()).toMatch(/UTC$/);
  });

  it('defines a feature set version, showing an invalid feature inline and what each feature means', async () => {
    await page.getByRole('link', { name: 'Feature sets' }).click();
    await page.locator('tr[data-set=forecast_basic]').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('my_set');
    await page.getByLabel(/^Features/).fill('lag_1h, rolling_24h_median, hour_of_day');
    await page.getByRole('button', { name: 'Define' }).click();
    const problems = page.getByTestId('feature-problems');
    await problems.locator('li').first().waitFor();
    expect(await problems.textContent()).toContain('rolling_24h_median');
    expect(await problems.textContent()).toContain("unknown rolling statistic 'median'");
    expect(await page.getByLabel(/^Features/).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').getByTestId('request-id').textContent()).toMatch(
      /^[A-Za-z0-9._-]{8,}$/,
    );

    await page.getByLabel(/^Features/).fill('lag_1h, rolling_24h_max, hour_of_day');
    await page.getByRole('button', { name: 'Define' }).click();
    expect(await page.getByRole('status').textContent()).toContain('my_set v1 defined');
    const row = page.locator('tr[data-set=my_set][data-version="1"]');
    await row.getByRole('button', { name: '3 features' }).click();
    expect(await row.locator('dl').textContent()).toContain('maximum of the readings in [H-24h, H)');
    expect((await fx.admin.features.sets.query()).find((s) => s.name === 'my_set')?.features).toEqual([
      'lag_1h',
      'rolling_24h_max',
      'hour_of_day',
    ]);
    await screenshot(page, 'feature-sets');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('shows materializations, the refresh backlog and the hourly means of an entity', async () => {
    await fx.admin.features.materialize.mutate({ featureSet: 'forecast_basic', metric: 'kwh' });
    await page.getByRole('link', { name: 'Freshness' }).click();
    await page.getByTestId('materializations').waitFor();
    expect(await page.getByTestId('materializations').textContent()).toContain('forecast_basic v1');
    const { pendingBuckets } = await fx.admin.aggregates.status.query();
    expect(await page.getByTestId('backlog').textContent()).toContain(`${pendingBuckets} changed range`);

    await page.getByLabel('Entity id').fill('m1');
    await page.getByLabel('Metric').fill('kwh');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByTestId('chart').locator('canvas').waitFor();
    // One reading of value h in the hour starting h hours before the hour the test began.
    const means = page.getByTestId('means');
    for (const h of [2, 5, 24]) {
      const hourRow = means.locator('tr', {
        hasText: new Date(endHour - h * HOUR).toISOString().slice(0, 16).replace('T', ' '),
      });
      expect(await hourRow.locator('td').nth(1).textContent()).toBe(String(h));
    }
    await screenshot(page, 'freshness');
    expect(await seriousViolations(page)).toEqual([]);
  });
});
