import { describe, expect, it } from 'vitest';
import { encodeIdx, type IdxDtype, IdxFormatError, parseIdx, readIdxHeader } from '../src/index.js';

const samples: Record<IdxDtype, number[]> = {
  uint8: [0, 1, 127, 128, 255, 42],
  int8: [-128, -1, 0, 1, 127, 5],
  int16: [-32768, -1, 0, 1, 32767, 1234],
  int32: [-2147483648, -1, 0, 1, 2147483647, 123456789],
  float32: [-1.5, 0, 0.25, 3.4028234663852886e38, -0, 1e-7],
  float64: [Math.PI, -Math.E, 0, Number.MAX_VALUE, Number.MIN_VALUE, -1e300],
};

function bytesOf(...parts: number[]): Uint8Array {
  return Uint8Array.from(parts);
}

describe('IDX round trip', () => {
  for (const dtype of Object.keys(samples) as IdxDtype[]) {
    for (const shape of [[6], [2, 3], [3, 2, 1], [1, 2, 1, 3]]) {
      it(`${dtype} rank ${shape.length}`, () => {
        const data = samples[dtype];
        const bytes = encodeIdx({ dtype, shape, data });
        const t = parseIdx(bytes);
        expect(t.dtype).toBe(dtype);
        expect(t.shape).toEqual(shape);
        expect(Array.from(t.data)).toEqual(dtype === 'float32' ? Array.from(Float32Array.from(data)) : data);
        expect(encodeIdx(t)).toEqual(bytes);
      });
    }
  }

  it('writes the header LeCun describes, big-endian', () => {
    const bytes = encodeIdx({ dtype: 'int16', shape: [2, 1], data: [1, -2] });
    expect(Array.from(bytes)).toEqual([0, 0, 0x0b, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0x00, 0x01, 0xff, 0xfe]);
  });

  it('parses uint8 data as a view of the input (no copy) unless asked to copy', () => {
    const bytes = encodeIdx({ dtype: 'uint8', shape: [2, 2], data: [1, 2, 3, 4] });
    const view = parseIdx(bytes);
    expect(view.data.buffer).toBe(bytes.buffer);
    expect(view.data.byteOffset).toBe(12);
    const copy = parseIdx(bytes, undefined, { copy: true });
    expect(copy.data.buffer).not.toBe(bytes.buffer);
    expect(Array.from(copy.data)).toEqual([1, 2, 3, 4]);
  });

  it('parses from a subarray with a non-zero byteOffset and from an ArrayBuffer', () => {
    const inner = encodeIdx({ dtype: 'int32', shape: [2], data: [7, -7] });
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    expect(Array.from(parseIdx(outer.subarray(3)).data)).toEqual([7, -7]);
    expect(Array.from(parseIdx(inner.buffer as ArrayBuffer).data)).toEqual([7, -7]);
  });

  it('parses the largest rank (255)', () => {
    const shape = new Array(255).fill(1);
    shape[0] = 2;
    const t = parseIdx(encodeIdx({ dtype: 'float64', shape, data: [1, 2] }));
    expect(t.shape).toEqual(shape);
  });
});

describe('IDX errors', () => {
  const cases: [string, Uint8Array, string][] = [
    ['empty input', bytesOf(), 'IDX_TRUNCATED_HEADER'],
    ['bad magic', bytesOf(1, 0, 8, 1, 0, 0, 0, 1, 5), 'IDX_BAD_MAGIC'],
    ['gzip passed to parseIdx', bytesOf(0x1f, 0x8b, 8, 0), 'IDX_BAD_MAGIC'],
    ['unknown dtype', bytesOf(0, 0, 0x0a, 1, 0, 0, 0, 1, 5), 'IDX_UNKNOWN_DTYPE'],
    ['rank 0', bytesOf(0, 0, 8, 0), 'IDX_RANK_ZERO'],
    ['zero dimension', bytesOf(0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 0), 'IDX_ZERO_DIMENSION'],
    ['truncated header', bytesOf(0, 0, 8, 3, 0, 0, 0, 1, 0, 0), 'IDX_TRUNCATED_HEADER'],
    ['truncated data', bytesOf(0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3), 'IDX_TRUNCATED_DATA'],
    ['truncated wide data', bytesOf(0, 0, 0x0c, 1, 0, 0, 0, 1, 1, 2, 3), 'IDX_TRUNCATED_DATA'],
    ['trailing bytes', bytesOf(0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3), 'IDX_TRAILING_BYTES'],
  ];
  for (const [name, bytes, code] of cases) {
    it(`${name} → ${code}`, () => {
      let caught: unknown;
      try {
        parseIdx(bytes, 'some-file');
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(IdxFormatError);
      expect((caught as IdxFormatError).code).toBe(code);
      expect((caught as IdxFormatError).message).toMatch(/^some-file: invalid IDX data: /);
      expect((caught as IdxFormatError).file).toBe('some-file');
    });
  }

  it('rejects a 16-byte header claiming 4 billion images without allocating', () => {
    const header = bytesOf(0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28);
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    expect(() => parseIdx(header)).toThrow(expect.objectContaining({ code: 'IDX_TRUNCATED_DATA' }));
    expect(() => readIdxHeader(header)).toThrow(/declares shape \[4294967295, 28, 28\]/);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it('rejects an absurd float64 rank-255 header quickly', () => {
    const header = new Uint8Array(4 + 4 * 255).fill(0xff);
    header.set([0, 0, 0x0e, 255]);
    expect(() => parseIdx(header)).toThrow(expect.objectContaining({ code: 'IDX_TRUNCATED_DATA' }));
  });

  it('encodeIdx rejects malformed tensors with IDX_INVALID_TENSOR', () => {
    const bad = [
      { dtype: 'uint16', shape: [1], data: [1] },
      { dtype: 'uint8', shape: [], data: [] },
      { dtype: 'uint8', shape: [0], data: [] },
      { dtype: 'uint8', shape: [1.5], data: [1] },
      { dtype: 'uint8', shape: [2], data: [1] },
      { dtype: 'uint8', shape: new Array(256).fill(1), data: [1] },
    ];
    for (const t of bad) {
      expect(() => encodeIdx(t as never)).toThrow(expect.objectContaining({ code: 'IDX_INVALID_TENSOR' }));
    }
  });
});
