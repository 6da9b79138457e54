import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { launchChromium } from '../../../../tests/support/chromium.mjs';
import { serveDirectories } from '../../../../tests/support/static-server.mjs';
import { installedWasmDirectory } from '../node-backend.js';
import { testSubset, trainSubset } from './fixtures.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// A cross-origin-isolated page may share memory with workers, so tfjs-backend-wasm loads its threaded build there.
const isolation = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

describe("tfjs-backend-wasm's threaded build, in Chromium", () => {
  it("runs cnn-model's kernels on its shared memory, with the stock kernels' predictions", async () => {
    const cache = join(packageDir, 'node_modules', '.cache');
    await mkdir(cache, { recursive: true });
    const pageDir = await mkdtemp(join(cache, 'threaded-wasm-'));
    const served: string[] = [];
    const errors: string[] = [];
    try {
      await build({
        entryPoints: [join(packageDir, 'src', '__tests__', 'threaded-wasm', 'page.ts')],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        outfile: join(pageDir, 'page.js'),
        logLevel: 'silent',
      });
      await writeFile(join(pageDir, 'index.html'), '<!doctype html><script type="module" src="page.js"></script>');
      const server = await serveDirectories({ '/': pageDir, '/wasm/': installedWasmDirectory() }, isolation);
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        page.on('pageerror', (error) => errors.push(String(error)));
        page.on('request', (request) => void served.push(new URL(request.url()).pathname));
        await page.goto(`${server.url}/`);
        await page.waitForFunction(() => 'run' in window);
        const [train, test] = [await trainSubset(640), await testSubset(100)];
        const report = await page.evaluate(
          ([images, labels, testImages]) =>
            (window as unknown as { run: (...args: number[][]) => Promise<Record<string, unknown>> }).run(
              images!,
              labels!,
              testImages!,
            ),
          [Array.from(train.images), Array.from(train.labels), Array.from(test.images)],
        );
        expect(errors).toEqual([]);
        expect(report.crossOriginIsolated).toBe(true);
        expect(served).toContain('/wasm/tfjs-backend-wasm-threaded-simd.wasm');
        expect(report.info).toMatchObject({
          backend: 'wasm',
          simd: true,
          binary: 'tfjs-backend-wasm-threaded-simd.wasm',
        });
        expect(report.info).not.toHaveProperty('reason');
        expect((report.info as { kernels: string[] }).kernels).toHaveLength(7);
        const [withKernels, stock] = [report.withKernels as number[], report.stock as number[]];
        expect(withKernels).toHaveLength(1000);
        const classes = (probabilities: number[]) =>
          Array.from({ length: 100 }, (_, i) => {
            const row = probabilities.slice(i * 10, i * 10 + 10);
            return row.indexOf(Math.max(...row));
          });
        expect(classes(withKernels)).toEqual(classes(stock));
        expect(classes(stock).filter((digit, i) => digit === test.labels[i]).length).toBeGreaterThan(70);
        for (const [i, p] of withKernels.entries()) expect(Math.abs(p - stock[i]!)).toBeLessThan(1e-3);
      } finally {
        await browser.close();
        await server.close();
      }
    } finally {
      await rm(pageDir, { recursive: true, force: true });
    }
  });
});
