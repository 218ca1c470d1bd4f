// Shared set-up of the Strata Lab end-to-end tests: build the pages with Vite into a
// temporary folder, serve them with `runLab`, drive Debian's Chromium with playwright-core.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { runLab, type LabServer } from '../../src/cli/lab.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const OUTPUT_DIR = join(ROOT, 'test-output');
export const CHROMIUM = process.env.STRATA_CHROMIUM || '/usr/bin/chromium';
export const DATA_DIR = resolve(process.env.STRATA_DATA || join(ROOT, '..', 'shared', 'data'));

/** Why the browser tests cannot run here, or null when they can. */
export function skipReason(): string | null {
  if (!existsSync(CHROMIUM)) {
    return `chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set STRATA_CHROMIUM; skipping the Strata Lab browser tests`;
  }
  return null;
}

export interface Lab {
  server: LabServer;
  browser: Browser;
  close(): Promise<void>;
}

/** Build the pages, start the server and the browser. */
export async function startLab(): Promise<Lab> {
  const { build } = await import('vite');
  const outDir = mkdtempSync(join(tmpdir(), 'strata-lab-'));
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await runLab({ port: 0, webDir: outDir, dataDir: DATA_DIR, log: false });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** A page that records console errors and uncaught exceptions. */
export async function openPage(lab: Lab, path: string, viewport = { width: 1366, height: 860 }): Promise<{ page: Page; errors: string[] }> {
  const page = await lab.browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(new URL(path, lab.server.url).href);
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });
}
