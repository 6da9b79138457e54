import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeIdx, GzipError, type IdxDtype, IdxFormatError, type IdxTensor, parseIdx } from '../src/index.js';
import { gunzipIfNeededSync } from '../src/node.js';

const DTYPES: IdxDtype[] = ['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'];
const ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** A random tensor: any dtype, rank 1–4, small dimensions, random contents. */
const tensorArb = fc
  .record({
    dtype: fc.constantFrom(...DTYPES),
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
    seed: fc.integer(),
  })
  .chain(({ dtype, shape }) => {
    const length = shape.reduce((a, b) => a * b, 1);
    return fc.uint8Array({ minLength: length * bytesPer(dtype), maxLength: length * bytesPer(dtype) }).map((raw) => {
      const data = new ARRAYS[dtype](raw.buffer, 0, length);
      return { dtype, shape, data } as IdxTensor;
    });
  });

function bytesPer(dtype: IdxDtype): number {
  return ARRAYS[dtype].BYTES_PER_ELEMENT;
}

/** Parses and checks the result is a well-formed tensor consistent with the input, or the typed error. */
function parseOrTypedError(bytes: Uint8Array): 'ok' | string {
  let t: IdxTensor;
  try {
    t = parseIdx(bytes, 'fuzz');
  } catch (e) {
    if (!(e instanceof IdxFormatError)) throw e;
    expect(e.code).toMatch(/^IDX_/);
    expect(e.message).toContain('fuzz');
    return e.code;
  }
  expect(DTYPES).toContain(t.dtype);
  expect(t.shape.length).toBeGreaterThanOrEqual(1);
  for (const d of t.shape) expect(Number.isInteger(d) && d >= 1).toBe(true);
  const length = t.shape.reduce((a, b) => a * b, 1);
  expect(t.data).toBeInstanceOf(ARRAYS[t.dtype]);
  expect(t.data.length).toBe(length);
  // A valid parse accounts for every byte of the input exactly.
  expect(4 + 4 * t.shape.length + length * bytesPer(t.dtype)).toBe(bytes.length);
  // And re-encoding reproduces the input bit for bit (NaN payloads included).
  expect(encodeIdx(t)).toEqual(bytes);
  return 'ok';
}

describe('IDX properties (fast-check)', () => {
  it('encode → parse is the identity for every dtype and rank', () => {
    fc.assert(
      fc.property(tensorArb, (t) => {
        const bytes = encodeIdx(t);
        const back = parseIdx(bytes);
        expect(back.dtype).toBe(t.dtype);
        expect(back.shape).toEqual(t.shape);
        // Compare bit patterns so NaN payloads and -0 count as equal only when identical.
        const a = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
        const b = new Uint8Array(back.data.buffer, back.data.byteOffset, back.data.byteLength);
        expect(b).toEqual(a);
        expect(encodeIdx(back)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes parse to a well-formed tensor or throw IdxFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        parseOrTypedError(bytes);
      }),
      { numRuns: 5000 },
    );
  });

  it('random headers (00 00 <any> <any> + dims) never allocate the declared size or crash', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 8 }),
        fc.uint8Array({ maxLength: 32 }),
        (code, rank, dims, tail) => {
          const head = new Uint8Array(4 + 4 * dims.length);
          const dv = new DataView(head.buffer);
          head[2] = code;
          head[3] = rank;
          for (const [i, d] of dims.entries()) dv.setUint32(4 + 4 * i, d, false);
          const bytes = new Uint8Array(head.length + tail.length);
          bytes.set(head);
          bytes.set(tail, head.length);
          parseOrTypedError(bytes);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('mutated valid files (bit flips, truncation, extension, byte edits) parse or throw IdxFormatError', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
      fc.record({
        kind: fc.constant('header' as const),
        at: fc.integer({ min: 0, max: 11 }),
        value: fc.integer({ min: 0, max: 255 }),
      }),
    );
    const seen = new Set<string>();
    fc.assert(
      fc.property(tensorArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), (t, mutations) => {
        let bytes = encodeIdx(t);
        for (const m of mutations) {
          if (bytes.length === 0) break;
          if (m.kind === 'flip') bytes[m.at % bytes.length]! ^= 1 << m.bit;
          else if (m.kind === 'set') bytes[m.at % bytes.length] = m.value;
          else if (m.kind === 'header') {
            if (m.at < bytes.length) bytes[m.at] = m.value;
          } else if (m.kind === 'truncate') bytes = bytes.slice(0, m.at % bytes.length);
          else {
            const grown = new Uint8Array(bytes.length + m.extra.length);
            grown.set(bytes);
            grown.set(m.extra, bytes.length);
            bytes = grown;
          }
        }
        seen.add(parseOrTypedError(bytes));
      }),
      { numRuns: 5000 },
    );
    // The mutations really exercise the error paths.
    for (const code of ['ok', 'IDX_BAD_MAGIC', 'IDX_UNKNOWN_DTYPE', 'IDX_TRUNCATED_DATA', 'IDX_TRAILING_BYTES']) {
      expect(seen).toContain(code);
    }
  });

  it('gzip streams with random damage decompress or throw GzipError', () => {
    fc.assert(
      fc.property(tensorArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (t, at, xor, truncate) => {
        const gz = new Uint8Array(gzipSync(encodeIdx(t)));
        const damaged = truncate ? gz.slice(0, Math.max(2, at % gz.length)) : gz.slice();
        if (!truncate) damaged[2 + (at % (gz.length - 2))]! ^= xor;
        try {
          const raw = gunzipIfNeededSync(damaged, 'fuzz.gz');
          parseOrTypedError(raw);
        } catch (e) {
          if (!(e instanceof GzipError)) throw e;
          expect(e.code).toBe('GZIP_CORRUPT');
          expect(e.message).toContain('fuzz.gz');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
