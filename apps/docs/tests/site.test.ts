import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDirectories } from '../../../tests/support/static-server.mjs';
import { launchChromium, watchPage } from './browser';

const siteRoot = join(import.meta.dirname, '..', '.vitepress', 'dist');
const pages = [
  '/',
  '/guide/getting-started.html',
  '/guide/mnist-data.html',
  '/guide/cnn-model.html',
  '/guide/trainer.html',
  '/guide/cli.html',
  '/reference/cli.html',
  '/reference/api/index.html',
  '/reference/model-format.html',
  '/benchmarks.html',
  '/changelog.html',
  '/demo.html',
];

let browser: Browser;
let site: { url: string; close: () => Promise<void> };
let origin: string;

beforeAll(async () => {
  if (!existsSync(siteRoot)) throw new Error(`the site is not built at ${siteRoot}: run "pnpm --filter docs build"`);
  site = await serveDirectories({ '/': siteRoot });
  origin = site.url;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('the built docs site in Chromium', () => {
  it.each(pages)('%s renders with no console errors and no request off 127.0.0.1', async (path) => {
    const page = await browser.newPage();
    const watched = watchPage(page, origin);
    const response = await page.goto(origin + path, { waitUntil: 'networkidle' });
    expect(response?.status()).toBe(200);
    const heading = await page.locator('h1').first().textContent();
    expect(heading?.trim().length).toBeGreaterThan(0);
    expect(watched.errors).toEqual([]);
    expect(watched.foreignRequests).toEqual([]);
    await page.close();
  });

  it('the CLI reference lists every command generated from the option definitions', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/reference/cli.html`);
    const text = await page.locator('main').textContent();
    for (const command of ['train', 'evaluate', 'predict', 'info', 'show', 'bench']) expect(text).toContain(command);
    expect(text).toContain('--batch-size');
    await page.close();
  });
});
