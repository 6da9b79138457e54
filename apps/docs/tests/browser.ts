import type { Page } from 'playwright-core';

export { launchChromium } from '../../../tests/support/chromium.mjs';

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
