import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AihubClient, createAihubClient } from '@aihub/client';
import { startTestServer, type TestServer } from '@aihub/server/testing';
import { type Browser, chromium, type Page } from 'playwright-core';

/*
 * Browser-test support: the real server (own database, shared Redis/S3) serving the BUILT console
 * (apps/web/dist), and Debian's Chromium driven by playwright-core. One browser per test file.
 */

const webDir = fileURLToPath(new URL('../dist', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('../test-results', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ConsoleFixture {
  server: TestServer;
  browser: Browser;
  admin: AihubClient;
  client(key: string): AihubClient;
  /** A fresh browser context (empty session storage) at 1280x800. */
  newPage(): Promise<Page>;
  stop(): Promise<void>;
}

export async function startConsole(): Promise<ConsoleFixture> {
  if (!existsSync(join(webDir, 'index.html'))) {
    throw new Error('apps/web/dist is missing: build the console first (pnpm turbo run build)');
  }
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium`);
  await mkdir(ARTIFACTS, { recursive: true });
  const server = await startTestServer({ AIHUB_WEB_DIR: webDir });
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // As root and on a machine without internet: no sandbox, and none of Chromium's own traffic.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  const client = (apiKey: string) => createAihubClient({ url: server.url, apiKey });
  return {
    server,
    browser,
    admin: client(server.adminKey),
    client,
    async newPage() {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 800 },
        baseURL: server.url,
      });
      return context.newPage();
    },
    async stop() {
      await browser.close();
      await server.stop();
    },
  };
}

export async function signIn(page: Page, key: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('whoami').waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2 A/AA checks in the page; returns the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the console's CSP (same-origin scripts only) stays on.
  await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: unknown): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations as AxeViolation[];
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Registers a version through the API and uploads a small artifact, as a training job would. */
export async function registerVersion(
  fixture: ConsoleFixture,
  name: string,
  metrics: Record<string, number>,
): Promise<{ id: string; version: number }> {
  const { version, upload } = await fixture.admin.models.register.mutate({ name, format: 'onnx', metrics });
  const res = await fetch(new URL(upload.path, fixture.server.url), {
    method: 'PUT',
    headers: { authorization: `Bearer ${fixture.server.adminKey}` },
    body: new Uint8Array(1000 + version.version),
  });
  if (res.status !== 200) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return { id: version.id, version: version.version };
}

/** How the console prints an instant (format.ts), computed here independently. */
export function shownTime(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
