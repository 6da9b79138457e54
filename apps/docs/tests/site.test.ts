import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { siteRoot, useBuiltSite, watchPage } from './browser';

/**
 * Every page of the built site except the generated API reference, of which the index, each entry's index and the main
 * entry points' pages stand for the rest (there are a few hundred, all from one template).
 */
function sitePages(): string[] {
  const apiPages = [
    '/reference/api/index.html',
    ...['mnist-data', 'cnn-model', 'trainer'].flatMap((name) => [
      `/reference/api/@mnist-cnn/${name}/index/index.html`,
      `/reference/api/@mnist-cnn/${name}/node/index.html`,
    ]),
    '/reference/api/@mnist-cnn/trainer/node/functions/train.html',
    '/reference/api/@mnist-cnn/cnn-model/index/classes/CnnModel.html',
  ];
  const pages = readdirSync(siteRoot, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.html') && file !== '404.html')
    .filter((file) => !file.startsWith('reference/api/') && !file.startsWith('generated/'))
    .map((file) => `/${file}`.replace(/\/index\.html$/, '/'));
  return [...pages.sort(), ...apiPages];
}
const pages = existsSync(siteRoot) ? sitePages() : [];

const site = useBuiltSite();

describe('the built docs site in Chromium', () => {
  it('finds the pages to check', () => {
    expect(pages).toEqual(expect.arrayContaining(['/', '/guide/quick-start.html', '/benchmarks.html', '/report.html']));
  });

  it.each(pages)(
    '%s renders with no console errors, its images load, and no request leaves 127.0.0.1',
    async (path) => {
      const page = await site.browser.newPage();
      const watched = watchPage(page, site.origin);
      const response = await page.goto(site.origin + path, { waitUntil: 'networkidle' });
      expect(response?.status()).toBe(200);
      const heading = await page.locator('h1').first().textContent();
      expect(heading?.trim().length).toBeGreaterThan(0);
      // An image that failed to load or decode has no natural size.
      const images = await page.locator('.VPContent img').evaluateAll((elements) =>
        elements.map((image) => ({
          src: (image as HTMLImageElement).src,
          width: (image as HTMLImageElement).naturalWidth,
        })),
      );
      for (const image of images) expect(image.width, `${image.src} did not load`).toBeGreaterThan(0);
      expect(watched.errors).toEqual([]);
      expect(watched.foreignRequests).toEqual([]);
      await page.close();
    },
  );

  it('the home page shows the grid of test digits with the demo model predictions', async () => {
    const page = await site.browser.newPage();
    await page.goto(`${site.origin}/`, { waitUntil: 'networkidle' });
    const grid = page.locator('.VPContent img[src*="test-digits"]');
    expect(await grid.evaluate((image) => (image as HTMLImageElement).naturalWidth)).toBeGreaterThan(300);
    const response = await page.request.get(`${site.origin}/generated/test-digits.svg`);
    const svg = await response.text();
    const labels = [...svg.matchAll(/data-label="(\d)" data-predicted="(\d)"/g)];
    expect(labels).toHaveLength(36);
    // MNIST's first test digits are 7, 2, 1, 0, 4; the model gets nearly all of the 36 right.
    expect(labels.slice(0, 5).map((match) => match[1])).toEqual(['7', '2', '1', '0', '4']);
    expect(labels.filter((match) => match[1] === match[2]).length).toBeGreaterThanOrEqual(33);
    await page.close();
  });

  it('the sample report page embeds the report of a training run: curves, heat map and misclassified digits', async () => {
    const page = await site.browser.newPage();
    const watched = watchPage(page, site.origin);
    await page.goto(`${site.origin}/report.html`, { waitUntil: 'networkidle' });
    const frame = page.frameLocator('[data-testid="sample-report"]');
    const accuracy = Number(await frame.locator('[data-accuracy]').getAttribute('data-accuracy'));
    expect(accuracy).toBeGreaterThan(0.9);
    // Five epochs, each a point on the training and the validation curve of both charts; the training loss falls.
    for (const chart of ['loss-chart', 'accuracy-chart']) {
      for (const series of ['train', 'validation']) {
        const points = frame.locator(`[data-chart="${chart}"] [data-series="${series}"] circle`);
        expect(await points.count(), `${chart} ${series}`).toBe(5);
      }
    }
    const trainLoss = await frame
      .locator('[data-chart="loss-chart"] [data-series="train"] circle')
      .evaluateAll((points) => points.map((point) => Number(point.getAttribute('data-y'))));
    expect(trainLoss.at(-1)!).toBeLessThan(trainLoss[0]! / 2);
    // The heat map counts every one of the 10,000 test images once.
    const counts = await frame
      .locator('[data-chart="confusion-matrix"] [data-count]')
      .evaluateAll((cells) => cells.map((cell) => Number(cell.getAttribute('data-count'))));
    expect(counts).toHaveLength(100);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(10_000);
    const digits = await frame
      .locator('img')
      .evaluateAll((elements) => elements.map((image) => (image as HTMLImageElement).naturalWidth));
    expect(digits.length).toBeGreaterThan(0);
    for (const width of digits) expect(width).toBeGreaterThan(0);
    // The page shows the command that made the report.
    expect(await page.locator('main').textContent()).toContain('mnist-cnn train --limit 2000');
    expect(watched.errors).toEqual([]);
    await page.close();
  });

  it.each([
    'mnist-data/node/functions/loadDataset',
    'mnist-data/index/functions/fetchDataset',
    'cnn-model/index/functions/createModel',
    'cnn-model/node/functions/saveModel',
    'cnn-model/node/functions/loadModel',
    'trainer/node/functions/initBackend',
    'trainer/node/functions/train',
    'trainer/index/functions/evaluate',
    'trainer/index/functions/predictImages',
  ])('the API page of %s shows its signature and an example', async (entry) => {
    const page = await site.browser.newPage();
    await page.goto(`${site.origin}/reference/api/@mnist-cnn/${entry}.html`);
    const headings = await page.locator('main h2, main h3, main h4').allTextContents();
    expect(headings.map((text) => text.replace(/[\s\u200b]+/g, ' ').trim())).toEqual(
      expect.arrayContaining(['Parameters', 'Example']),
    );
    expect(await page.locator('main pre code').count()).toBeGreaterThan(0);
    await page.close();
  });

  it('the CLI reference lists every command generated from the option definitions', async () => {
    const page = await site.browser.newPage();
    await page.goto(`${site.origin}/reference/cli.html`);
    const text = await page.locator('main').textContent();
    for (const command of ['train', 'evaluate', 'predict', 'info', 'show', 'bench']) expect(text).toContain(command);
    expect(text).toContain('--batch-size');
    await page.close();
  });
});
