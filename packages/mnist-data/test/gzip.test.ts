import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdx, GzipError, gunzip, gunzipIfNeeded, isGzip, parseIdx } from '../src/index.js';
import { gunzipIfNeededNode, gunzipIfNeededSync } from '../src/node.js';
import { pseudoRandomBytes } from './helpers.js';

const raw = encodeIdx({ dtype: 'uint8', shape: [50, 7, 3], data: pseudoRandomBytes(50 * 21, 3) });
const gz = new Uint8Array(gzipSync(raw));

describe('gzip', () => {
  it('detects gzip by magic bytes only', () => {
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(raw)).toBe(false);
    expect(isGzip(new Uint8Array([0x1f]))).toBe(false);
    expect(isGzip(new Uint8Array())).toBe(false);
  });

  it('core gunzipIfNeeded (DecompressionStream) decodes gzip and passes raw bytes through untouched', async () => {
    expect(await gunzipIfNeeded(gz)).toEqual(raw);
    expect(await gunzipIfNeeded(raw)).toBe(raw);
    expect(parseIdx(await gunzip(gz)).shape).toEqual([50, 7, 3]);
  });

  it('node helpers (zlib) decode the same bytes', async () => {
    expect(await gunzipIfNeededNode(gz)).toEqual(raw);
    expect(gunzipIfNeededSync(gz)).toEqual(raw);
    expect(gunzipIfNeededSync(raw)).toBe(raw);
  });

  const corrupt: [string, Uint8Array][] = [
    ['bad header', Uint8Array.from([0x1f, 0x8b, 0x99, 0, 1, 2, 3, 4, 5, 6, 7, 8])],
    ['only the magic', Uint8Array.from([0x1f, 0x8b])],
    ['truncated stream', gz.slice(0, gz.length >> 1)],
    [
      'damaged deflate data',
      (() => {
        const d = gz.slice();
        for (let i = 20; i < 60; i++) d[i]! ^= 0x5a;
        return d;
      })(),
    ],
    [
      'damaged CRC',
      (() => {
        const d = gz.slice();
        d[d.length - 6]! ^= 0xff;
        return d;
      })(),
    ],
  ];
  for (const [name, bytes] of corrupt) {
    it(`${name} → GzipError (zlib)`, async () => {
      await expect(gunzipIfNeededNode(bytes, 'x.gz')).rejects.toMatchObject({
        name: 'GzipError',
        code: 'GZIP_CORRUPT',
        file: 'x.gz',
      });
      expect(() => gunzipIfNeededSync(bytes, 'x.gz')).toThrow(GzipError);
    });
    it(`${name} → GzipError (DecompressionStream)`, async () => {
      await expect(gunzipIfNeeded(bytes, 'x.gz')).rejects.toBeInstanceOf(GzipError);
    });
  }
});
