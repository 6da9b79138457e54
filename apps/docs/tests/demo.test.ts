import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBuiltSite, watchPage } from './browser';

const site = useBuiltSite();

async function openDemo(): Promise<{ page: Page; watched: ReturnType<typeof watchPage> }> {
  const page = await site.browser.newPage();
  const watched = watchPage(page, site.origin);
  await page.goto(`${site.origin}/demo.html`);
  await page.locator('[data-testid="status"][data-ready="true"]').waitFor({ timeout: 60_000 });
  return { page, watched };
}

/** Drags the mouse through `points` (in 0…1 canvas coordinates) as one stroke. */
async function drawStroke(page: Page, points: Array<[number, number]>): Promise<void> {
  const box = await page.getByTestId('draw-canvas').boundingBox();
  if (!box) throw new Error('the drawing canvas is not visible');
  const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  await page.mouse.move(...at(points[0]!));
  await page.mouse.down();
  for (const point of points.slice(1)) await page.mouse.move(...at(point), { steps: 4 });
  await page.mouse.up();
}

async function predictionAfterDrawing(page: Page, points: Array<[number, number]>): Promise<string> {
  await page.getByTestId('clear').click();
  await drawStroke(page, points);
  await page.getByTestId('probability-9').waitFor();
  // Let the prediction for the completed stroke land.
  await page.waitForTimeout(500);
  return (await page.getByTestId('prediction').textContent())?.trim() ?? '';
}

describe('the draw-a-digit demo in Chromium', () => {
  it('reads a vertical stroke as 1 and a closed loop as 0, with no console errors and no foreign requests', async () => {
    const { page, watched } = await openDemo();
    // Chromium has relaxed SIMD: the page runs cnn-model's kernels, not tfjs's stock ones.
    expect(await page.getByTestId('backend').textContent()).toBe('backend: wasm (SIMD, relaxed-SIMD kernels)');

    const vertical: Array<[number, number]> = [
      [0.5, 0.15],
      [0.5, 0.5],
      [0.5, 0.85],
    ];
    expect(await predictionAfterDrawing(page, vertical)).toBe('1');

    const loop: Array<[number, number]> = [];
    for (let i = 0; i <= 40; i++) {
      const angle = (i / 40) * 2 * Math.PI;
      loop.push([0.5 + 0.25 * Math.sin(angle), 0.5 - 0.33 * Math.cos(angle)]);
    }
    expect(await predictionAfterDrawing(page, loop)).toBe('0');

    const probabilities = await page.locator('[data-testid^="probability-"]').count();
    expect(probabilities).toBe(10);
    expect(watched.errors).toEqual([]);
    expect(watched.foreignRequests).toEqual([]);
    await page.close();
  });

  it('trains a small model in the browser and the loss falls', async () => {
    const page = await site.browser.newPage();
    const watched = watchPage(page, site.origin);
    await page.goto(`${site.origin}/demo.html`);
    await page.getByTestId('train-start').click();
    const panel = page.getByTestId('train-panel');
    await page
      .locator('[data-testid="train-panel"][data-state="done"], [data-testid="train-panel"][data-state="failed"]')
      .waitFor({ timeout: 100_000 });
    expect(await page.getByTestId('train-message').textContent()).toContain('done');
    const firstLoss = Number(await panel.getAttribute('data-first-loss'));
    const lastLoss = Number(await panel.getAttribute('data-last-loss'));
    expect(firstLoss).toBeGreaterThan(0);
    expect(lastLoss).toBeLessThan(firstLoss * 0.6);
    const accuracy = Number.parseFloat((await page.getByTestId('test-accuracy').textContent()) ?? '0');
    expect(accuracy).toBeGreaterThan(70);
    expect(watched.errors).toEqual([]);
    expect(watched.foreignRequests).toEqual([]);
    await page.close();
  });
});
