import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveOnLoopback } from '../../../tests/support/loopback-server.mjs';
import {
  ChecksumError,
  DatasetNotFoundError,
  DownloadError,
  type DownloadProgress,
  downloadFile,
  loadDataset,
  NotRegularFileError,
} from '../src/node.js';
import { DATASET_FILE_KEYS, DATASETS, type DatasetFileKey } from '../src/presets.js';
import { makeFixture, tempDir } from './helpers.js';

const fixture = makeFixture({ train: 300, test: 40, rows: 8, cols: 8 });
const byGzName = new Map<string, Uint8Array>(
  DATASET_FILE_KEYS.map((k) => [DATASETS['fashion-mnist'].files[k].gzName, fixture.gz[k]]),
);
const checksums = Object.fromEntries(
  DATASET_FILE_KEYS.map((k) => [k, createHash('sha256').update(fixture.gz[k]).digest('hex')]),
) as Record<DatasetFileKey, string>;

/** Every request the server saw, as "/mirror/file". */
const requests: string[] = [];
let server: Awaited<ReturnType<typeof serveOnLoopback>>;
let base: string;

beforeAll(async () => {
  server = await serveOnLoopback((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const [, mirror, file] = url.split('/');
    const body = byGzName.get(file ?? '');
    if (mirror === 'missing' || body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    if (mirror === 'ok') {
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
      // Send in pieces so progress is reported more than once.
      const mid = body.length >> 1;
      res.write(body.subarray(0, mid));
      setTimeout(() => res.end(body.subarray(mid)), 5);
    } else if (mirror === 'tampered') {
      const evil = body.slice();
      evil[evil.length - 1]! ^= 0xff;
      res.writeHead(200, { 'content-length': evil.length }).end(evil);
    } else if (mirror === 'cut') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => {
        setTimeout(() => res.socket?.destroy(), 10);
      });
    } else {
      res.writeHead(500).end();
    }
  });
  base = server.url;
});
afterAll(() => server.close());

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  requests.length = 0;
});
function tmp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.path;
}

function options(cacheDir: string, mirrors: string[]) {
  return {
    dataset: 'fashion-mnist' as const,
    download: true,
    cacheDir,
    mirrors: mirrors.map((m) => `${base}/${m}/`),
    checksums,
    env: {},
  };
}

describe('download from mirrors (real HTTP on 127.0.0.1)', () => {
  it('downloads, verifies and caches all four files, reporting progress', async () => {
    const cacheDir = tmp();
    const progress: DownloadProgress[] = [];
    const d = await loadDataset({ ...options(cacheDir, ['ok']), onProgress: (p) => progress.push(p) });
    expect(d.source).toMatchObject({ kind: 'download', path: join(cacheDir, 'fashion-mnist') });
    expect(d.name).toBe('fashion-mnist');
    expect(d.train).toMatchObject({ count: 300, rows: 8, cols: 8 });
    expect(d.train.images).toEqual(fixture.train.images);
    expect(d.test.labels).toEqual(fixture.test.labels);
    expect(requests.sort()).toEqual([...byGzName.keys()].map((f) => `/ok/${f}`).sort());
    // Files are stored as the verified .gz, with no temp files left over.
    const stored = readdirSync(join(cacheDir, 'fashion-mnist')).sort();
    expect(stored).toEqual([...byGzName.keys()].sort());
    for (const [name, body] of byGzName) {
      expect(new Uint8Array(readFileSync(join(cacheDir, 'fashion-mnist', name)))).toEqual(body);
      const events = progress.filter((p) => p.file === name);
      expect(events.length).toBeGreaterThanOrEqual(2);
      expect(events.at(-1)).toMatchObject({ receivedBytes: body.length, totalBytes: body.length, fileCount: 4 });
      expect(events.at(-1)!.url).toBe(`${base}/ok/${name}`);
    }
  });

  it('a checksum mismatch throws ChecksumError and leaves nothing at the destination', async () => {
    const cacheDir = tmp();
    const err = await loadDataset(options(cacheDir, ['tampered'])).catch((e) => e);
    expect(err).toBeInstanceOf(ChecksumError);
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.message).toContain('SHA-256 mismatch');
    expect(err.expected).toBe(checksums.trainImages);
    expect(readdirSync(join(cacheDir, 'fashion-mnist'))).toEqual([]);
    // The next load does not mistake anything for a cache hit.
    await expect(loadDataset({ ...options(cacheDir, ['tampered']), download: false })).rejects.toBeInstanceOf(
      DatasetNotFoundError,
    );
  });

  it('the preset checksums are used by default (fixture bytes do not match real Fashion-MNIST)', async () => {
    const cacheDir = tmp();
    const { checksums: _ignored, ...rest } = options(cacheDir, ['ok']);
    await expect(loadDataset(rest)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(readdirSync(join(cacheDir, 'fashion-mnist'))).toEqual([]);
  });

  it('a 404 on the first mirror falls through to the next', async () => {
    const cacheDir = tmp();
    const d = await loadDataset(options(cacheDir, ['missing', 'ok']));
    expect(d.source.kind).toBe('download');
    expect(d.train.labels).toEqual(fixture.train.labels);
    for (const name of byGzName.keys()) {
      expect(requests.indexOf(`/missing/${name}`)).toBeGreaterThanOrEqual(0);
      expect(requests.indexOf(`/missing/${name}`)).toBeLessThan(requests.indexOf(`/ok/${name}`));
    }
  });

  it('a connection cut mid-body fails cleanly (DownloadError, nothing left), or falls through to the next mirror', async () => {
    const cacheDir = tmp();
    const err = await loadDataset(options(cacheDir, ['cut', 'missing'])).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.code).toBe('DOWNLOAD_FAILED');
    expect(err.attempts).toHaveLength(2);
    expect(err.attempts[0].url).toMatch(/\/cut\//);
    expect(err.attempts[1].error).toContain('HTTP 404');
    expect(readdirSync(join(cacheDir, 'fashion-mnist'))).toEqual([]);

    const d = await loadDataset(options(cacheDir, ['cut', 'ok']));
    expect(d.test.images).toEqual(fixture.test.images);
    expect(readdirSync(join(cacheDir, 'fashion-mnist')).sort()).toEqual([...byGzName.keys()].sort());
  });

  it('a cache hit makes no second request', async () => {
    const cacheDir = tmp();
    await loadDataset(options(cacheDir, ['ok']));
    expect(requests).toHaveLength(4);
    requests.length = 0;
    const again = await loadDataset(options(cacheDir, ['ok']));
    expect(again.source).toMatchObject({ kind: 'cache', path: join(cacheDir, 'fashion-mnist') });
    expect(again.train.images).toEqual(fixture.train.images);
    expect(requests).toEqual([]);
  });

  it('never touches the network unless download is enabled', async () => {
    const err = await loadDataset({ ...options(tmp(), ['ok']), download: false }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.message).toContain('--download');
    expect(requests).toEqual([]);
  });

  it('downloadFile honours an AbortSignal and cleans up', async () => {
    const dir = tmp();
    const destination = join(dir, 'x.gz');
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      downloadFile({
        mirrors: [`${base}/ok/`],
        fileName: 'train-images-idx3-ubyte.gz',
        sha256: checksums.trainImages,
        destination,
        signal: controller.signal,
      }),
    ).rejects.toThrow('stop');
    expect(existsSync(destination)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a destination that is a directory is refused by name before any mirror is asked', async () => {
    const dir = tmp();
    const destination = join(dir, 'f.gz');
    mkdirSync(destination);
    const [name, body] = [...byGzName][0]!;
    const err = await downloadFile({
      mirrors: [`${base}/ok/`],
      fileName: name,
      sha256: createHash('sha256').update(body).digest('hex'),
      destination,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(NotRegularFileError);
    expect(err).toMatchObject({ code: 'NOT_A_REGULAR_FILE', file: destination });
    expect(err.message).toBe(`${destination} is a directory, expected a regular file`);
    expect(requests).toEqual([]);
    expect(readdirSync(destination)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['f.gz']);
  });

  it('an unreachable mirror is reported with its URL', async () => {
    const err = await downloadFile({
      mirrors: ['http://127.0.0.1:1/'],
      fileName: 'f.gz',
      sha256: '0'.repeat(64),
      destination: join(tmp(), 'f.gz'),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toContain('http://127.0.0.1:1/f.gz');
  });
});
