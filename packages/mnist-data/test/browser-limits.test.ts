import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveHostileMirror } from '../../../tests/support/hostile-mirror.mjs';
import { gzipBombOneMember, idxHeader } from '../../../tests/support/idx-bombs.mjs';
import { DownloadError, datasetFromIdxFiles, fetchDataset, maxIdxFileBytes } from '../src/index.js';
import { makeFixture } from './helpers.js';

// The browser-safe entry, run here on Node's DecompressionStream and fetch: the same web APIs a browser has.
const fixture = makeFixture();

describe('datasetFromIdxFiles inflates gzip no further than the IDX header declares', () => {
  it('stops a gzip bomb just past its declared size, allocating only that', async () => {
    // More than maxIdxFileBytes, so inflating it whole before looking at the header would fail differently.
    const bomb = gzipBombOneMember([10, 28, 28], 320 * 1024 * 1024);
    expect(320 * 1024 * 1024).toBeGreaterThan(maxIdxFileBytes);
    const before = process.memoryUsage().arrayBuffers;
    await expect(datasetFromIdxFiles({ ...fixture.gz, trainImages: bomb })).rejects.toMatchObject({
      code: 'IDX_TRAILING_BYTES',
      file: 'train-images-idx3-ubyte',
      message: expect.stringContaining('more data than the 7840 data bytes of shape [10, 28, 28]'),
    });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses a header declaring more than maxBytes before allocating', async () => {
    const huge = new Uint8Array(gzipSync(idxHeader([100000, 100, 100])));
    await expect(datasetFromIdxFiles({ ...fixture.gz, testImages: huge })).rejects.toMatchObject({
      code: 'IDX_TOO_LARGE',
      file: 't10k-images-idx3-ubyte',
    });
    await expect(datasetFromIdxFiles(fixture.gz, { maxBytes: 10 })).rejects.toMatchObject({
      code: 'IDX_TOO_LARGE',
      file: 'train-images-idx3-ubyte',
    });
  });

  it('still reads valid gzipped and raw files, and still reports corrupt gzip', async () => {
    const dataset = await datasetFromIdxFiles({ ...fixture.gz, testLabels: fixture.bytes.testLabels });
    expect(dataset.train.images).toEqual(fixture.train.images);
    expect(dataset.test.labels).toEqual(fixture.test.labels);
    const truncated = fixture.gz.trainImages.slice(0, fixture.gz.trainImages.length - 4);
    await expect(datasetFromIdxFiles({ ...fixture.gz, trainImages: truncated })).rejects.toMatchObject({
      code: 'GZIP_CORRUPT',
      file: 'train-images-idx3-ubyte',
    });
  });
});

describe('fetchDataset bounds what a server sends', () => {
  let mirror: Awaited<ReturnType<typeof serveHostileMirror>>;
  beforeAll(async () => {
    mirror = await serveHostileMirror(new Uint8Array(10));
  });
  afterAll(() => mirror.close());

  it('cuts an endless body at maxBytes', async () => {
    const error = await fetchDataset(`${mirror.url}/endless/`, { maxBytes: 1024 * 1024 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).message).toMatch(
      /could not download .*\/endless\/train-images-idx3-ubyte\.gz:\n {2}- .*: sent more than the 1048576 bytes accepted/,
    );
  });

  it('refuses a Content-Length over the limit, and an HTTP error, naming the URL', async () => {
    await expect(fetchDataset(`${mirror.url}/huge-length/`)).rejects.toThrow(
      `announced ${10 * 1024 ** 3} bytes, more than the ${maxIdxFileBytes} bytes accepted`,
    );
    await expect(fetchDataset(`${mirror.url}/missing/`)).rejects.toThrow(
      new RegExp(`could not download ${mirror.url}/missing/train-images-idx3-ubyte\\.gz:\\n {2}- .*: HTTP 404`),
    );
  });
});
