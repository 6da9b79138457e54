import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from '../../../tests/support/chromium.mjs';
import { serveDirectories } from '../../../tests/support/static-server.mjs';

/** Where `pnpm --filter docs build` writes the site. */
export const siteRoot = join(import.meta.dirname, '..', '.vitepress', 'dist');

/**
 * Serves the built site on 127.0.0.1 and launches Chromium before the calling file's tests, and closes both after
 * them. The fields are set once `beforeAll` has run, so read them inside tests.
 */
export function useBuiltSite(): { readonly browser: Browser; readonly origin: string } {
  const session = { browser: undefined as unknown as Browser, origin: '' };
  let site: { url: string; close: () => Promise<void> } | undefined;
  beforeAll(async () => {
    if (!existsSync(siteRoot)) throw new Error(`the site is not built at ${siteRoot}: run "pnpm --filter docs build"`);
    site = await serveDirectories({ '/': siteRoot });
    session.origin = site.url;
    session.browser = await launchChromium();
  });
  afterAll(async () => {
    await session.browser?.close();
    await site?.close();
  });
  return session;
}

/** Records console errors, page errors and every request that is not to the site's own origin. */
export function watchPage(page: Page, origin: string): { errors: string[]; foreignRequests: string[] } {
  const errors: string[] = [];
  const foreignRequests: string[] = [];
  page.on('console', (message) => {
    // A failed load is reported below with its URL, which says more than the console's generic line.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      errors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
  });
  return { errors, foreignRequests };
}
