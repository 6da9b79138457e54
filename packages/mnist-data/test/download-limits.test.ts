import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHostileMirror } from '../../../tests/support/hostile-mirror.mjs';
import { DATASETS, DownloadError, downloadFile, loadDataset } from '../src/node.js';
import { tempDir } from './helpers.js';

const good = new Uint8Array(4000).fill(7);
const goodSha = createHash('sha256').update(good).digest('hex');
let mirror: Awaited<ReturnType<typeof serveHostileMirror>>;
let base: string;

beforeAll(async () => {
  mirror = await serveHostileMirror(good);
  base = mirror.url;
});
afterAll(() => mirror.close());

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

describe('downloadFile against hostile mirrors', () => {
  it('stops an endless body at the expected size, removes its temp file and moves on', async () => {
    const dir = tempDir();
    const destination = join(dir.path, 'file.gz');
    const error = await downloadFile({
      mirrors: [`${base}/endless/`],
      fileName: 'file.gz',
      sha256: goodSha,
      destination,
      expectedBytes: good.length,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).message).toContain(`sent more than the expected ${good.length} bytes`);
    expect(leftovers(dir.path)).toEqual([]);
    dir.cleanup();
  });

  it('gives up a stalled mirror after the stall timeout and uses the next one', async () => {
    const dir = tempDir();
    const destination = join(dir.path, 'file.gz');
    await downloadFile({
      mirrors: [`${base}/stall/`, `${base}/huge-length/`, `${base}/ok/`],
      fileName: 'file.gz',
      sha256: goodSha,
      destination,
      expectedBytes: good.length,
      stallTimeoutMs: 300,
    });
    expect(statSync(destination).size).toBe(good.length);
    expect(leftovers(dir.path)).toEqual([]);
    const failed = await downloadFile({
      mirrors: [`${base}/stall/`, `${base}/huge-length/`],
      fileName: 'file.gz',
      sha256: goodSha,
      destination: join(dir.path, 'other.gz'),
      expectedBytes: good.length,
      stallTimeoutMs: 300,
    }).catch((e: unknown) => e as DownloadError);
    expect(failed).toBeInstanceOf(DownloadError);
    expect((failed as DownloadError).attempts.map((a) => a.error)).toEqual([
      'no data for 0.3 s',
      `announced ${10 * 1024 ** 3} bytes, more than the expected ${good.length}`,
    ]);
    expect(leftovers(dir.path)).toEqual([]);
    dir.cleanup();
  });
});

describe('mirror choice', () => {
  it('lists https mirrors before plain-http ones in every preset', () => {
    for (const preset of Object.values(DATASETS)) {
      const schemes = preset.mirrors.map((mirror) => new URL(mirror).protocol);
      expect(schemes).toEqual([...schemes].sort((a, b) => Number(a === 'http:') - Number(b === 'http:')));
    }
  });

  it('downloads from $MNIST_MIRROR instead of the preset mirrors', async () => {
    const dir = tempDir();
    mirror.requests.length = 0;
    const error = await loadDataset({
      dataset: 'kmnist',
      cacheDir: dir.path,
      download: true,
      usePackage: false,
      env: { MNIST_MIRROR: `${base}/nothing-here/` },
    }).catch((e: unknown) => e as DownloadError);
    expect(error).toBeInstanceOf(DownloadError);
    expect(mirror.requests).toEqual([`/nothing-here/${DATASETS.kmnist.files.trainImages.gzName}`]);
    dir.cleanup();
  });
});
