import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, DownloadError, downloadFile, loadDataset } from '../src/node.js';
import { tempDir } from './helpers.js';

const good = new Uint8Array(4000).fill(7);
const goodSha = createHash('sha256').update(good).digest('hex');
const requests: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  // Mirrors that misbehave the way hostile or broken servers do, on 127.0.0.1.
  server = createServer((req, res) => {
    const [, mirror] = (req.url ?? '').split('/');
    requests.push(req.url ?? '');
    if (mirror === 'endless') {
      res.writeHead(200);
      const chunk = new Uint8Array(64 * 1024);
      const pump = () => {
        while (res.write(chunk)) {}
        res.once('drain', pump);
      };
      pump();
      res.on('close', () => res.removeAllListeners('drain'));
    } else if (mirror === 'stall') {
      res.writeHead(200, { 'content-length': good.length });
      res.write(good.subarray(0, 10)); // then nothing, with the connection left open
    } else if (mirror === 'huge-length') {
      res.writeHead(200, { 'content-length': 10 * 1024 ** 3 });
      res.write(good.subarray(0, 10));
    } else if (mirror === 'ok') {
      res.writeHead(200, { 'content-length': good.length }).end(good);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

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
    requests.length = 0;
    const error = await loadDataset({
      dataset: 'kmnist',
      cacheDir: dir.path,
      download: true,
      usePackage: false,
      env: { MNIST_MIRROR: `${base}/nothing-here/` },
    }).catch((e: unknown) => e as DownloadError);
    expect(error).toBeInstanceOf(DownloadError);
    expect(requests).toEqual([`/nothing-here/${DATASETS.kmnist.files.trainImages.gzName}`]);
    dir.cleanup();
  });
});
