import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { idxHeader, writeGzipBomb } from '../../../tests/support/idx-bombs.mjs';
import { MnistDataError, maxIdxFileBytes, readIdxFile, readIdxFileSync } from '../src/node.js';
import { tempDir } from './helpers.js';

const temporary = tempDir();
const dir = temporary.path;
afterAll(temporary.cleanup);

function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof MnistDataError ? error.code : String(error)),
  );
}

describe('readIdxFile limits', () => {
  it('stops inflating a gzip bomb at the size its header declares', async () => {
    const path = join(dir, 'bomb-images.gz');
    const onDisk = writeGzipBomb(path, [60000, 28, 28], 3 * 1024 ** 3);
    expect(onDisk).toBeLessThan(8 * 1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    await expect(readIdxFile(path)).rejects.toMatchObject({ code: 'IDX_TRAILING_BYTES', file: path });
    // The one buffer allocated is the declared 47 MB; inflating all 3 GB would have needed 60 times more.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(200 * 1024 * 1024);
    rmSync(path);
  });

  it('refuses a header declaring more than the limit before allocating', async () => {
    const gz = join(dir, 'huge.gz');
    writeFileSync(gz, gzipSync(idxHeader([100000, 100, 100])));
    await expect(readIdxFile(gz)).rejects.toMatchObject({ code: 'IDX_TOO_LARGE', file: gz });
    const raw = join(dir, 'huge-raw');
    writeFileSync(raw, idxHeader([0xffffffff, 0xffffffff, 0xffffffff]));
    await expect(readIdxFile(raw)).rejects.toMatchObject({ code: 'IDX_TOO_LARGE' });
    expect(maxIdxFileBytes).toBeLessThan(100000 * 100 * 100);
  });

  it('stops reading a sparse raw file past its declared size', async () => {
    const path = join(dir, 'sparse-raw');
    writeFileSync(path, idxHeader([10, 28, 28]));
    execFileSync('truncate', ['-s', '1500M', path]);
    await expect(readIdxFile(path)).rejects.toMatchObject({ code: 'IDX_TRAILING_BYTES' });
    expect(() => readIdxFileSync(path)).toThrow(expect.objectContaining({ code: 'IDX_TOO_LARGE' }));
    rmSync(path);
  });

  it('still reads a valid gzipped file whose header comes in pieces', async () => {
    const path = join(dir, 'ok.gz');
    const header = idxHeader([3, 2, 2]);
    const body = Uint8Array.from({ length: 12 }, (_, i) => i);
    writeFileSync(path, Buffer.concat([gzipSync(header.subarray(0, 3)), gzipSync(header.subarray(3)), gzipSync(body)]));
    const tensor = await readIdxFile(path);
    expect(tensor.shape).toEqual([3, 2, 2]);
    expect(Array.from(tensor.data)).toEqual(Array.from(body));
  });

  it('refuses a FIFO, a directory and a device by name instead of hanging', async () => {
    const fifo = join(dir, 'train-images-idx3-ubyte');
    execFileSync('mkfifo', [fifo]);
    await expect(readIdxFile(fifo)).rejects.toMatchObject({ code: 'NOT_A_REGULAR_FILE', file: fifo });
    expect(() => readIdxFileSync(fifo)).toThrow(/is a FIFO, expected a regular file/);
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    expect(await codeOf(readIdxFile(sub))).toBe('NOT_A_REGULAR_FILE');
    const zero = join(dir, 'zero-link');
    symlinkSync('/dev/zero', zero);
    await expect(readIdxFile(zero)).rejects.toThrow(`${zero} is a device, expected a regular file`);
  });
});
