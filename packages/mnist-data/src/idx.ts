import { IdxFormatError } from './errors.js';

/** The element types of the IDX format, by name. */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array that holds each dtype's elements. */
export interface IdxDataTypes {
  uint8: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  float32: Float32Array;
  float64: Float64Array;
}

/** A tensor of one dtype: row-major `data` with `shape.reduce(*)` elements. */
export interface IdxTensorOf<D extends IdxDtype> {
  dtype: D;
  shape: number[];
  data: IdxDataTypes[D];
}

/** A parsed IDX file; narrow on `dtype` to get the matching typed array. */
export type IdxTensor = { [D in IdxDtype]: IdxTensorOf<D> }[IdxDtype];

/** What `encodeIdx` accepts: `data` may be any array-like of numbers of the right length. */
export interface IdxTensorInput {
  dtype: IdxDtype;
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** dtype byte → name and element size, per LeCun's spec. */
export const IDX_DTYPES: Readonly<Record<IdxDtype, { code: number; bytes: number }>> = Object.freeze({
  uint8: { code: 0x08, bytes: 1 },
  int8: { code: 0x09, bytes: 1 },
  int16: { code: 0x0b, bytes: 2 },
  int32: { code: 0x0c, bytes: 4 },
  float32: { code: 0x0d, bytes: 4 },
  float64: { code: 0x0e, bytes: 8 },
});

const NATIVE_ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

const DTYPE_BY_CODE: ReadonlyMap<number, IdxDtype> = new Map(
  (Object.keys(IDX_DTYPES) as IdxDtype[]).map((d) => [IDX_DTYPES[d].code, d]),
);

/** The dtype name for a dtype byte, or undefined. */
export function idxDtypeFromCode(code: number): IdxDtype | undefined {
  return DTYPE_BY_CODE.get(code);
}

/**
 * Largest IDX file read (after decompression), 256 MB: over five times MNIST's training images, and small enough that a
 * hostile header or a gzip bomb is refused long before memory runs short.
 */
export const maxIdxFileBytes = 256 * 1024 * 1024;

/** The decoded header of an IDX file. */
export interface IdxHeader {
  dtype: IdxDtype;
  shape: number[];
  /** Offset of the first data byte (4 + 4 × rank). */
  dataOffset: number;
  /** Number of elements (product of the shape). */
  length: number;
  /** Number of data bytes (length × element size). */
  byteLength: number;
}

export interface ParseIdxOptions {
  /** Copy uint8/int8 data into a fresh buffer instead of returning a view of `bytes` (default false). */
  copy?: boolean;
}

function toUint8(bytes: Uint8Array | ArrayBuffer): Uint8Array {
  return bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
}

/** What the first bytes of an IDX file declare, before the data is read. */
export interface IdxPreamble {
  dtype: IdxDtype;
  shape: number[];
  /** Offset of the first data byte (4 + 4 × rank). */
  dataOffset: number;
  /** Header plus data bytes the header declares (may exceed 2^53 for a hostile header; compare, never allocate). */
  declaredFileBytes: number;
}

/**
 * Decodes the magic number, dtype, rank and dimensions from the start of an IDX file, which may be only its first
 * bytes: a stream reader learns the declared size here and checks it against its limits before reading on.
 */
export function readIdxPreamble(input: Uint8Array | ArrayBuffer, fileName?: string): IdxPreamble {
  const bytes = toUint8(input);
  const file = fileName === undefined ? {} : { file: fileName };
  const n = bytes.length;
  if ((n > 0 && bytes[0] !== 0) || (n > 1 && bytes[1] !== 0)) {
    const got = Array.from(bytes.subarray(0, Math.min(n, 4)), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const hint = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (this is gzip data; decompress it first)' : '';
    throw new IdxFormatError(
      'IDX_BAD_MAGIC',
      `bad magic number: expected 00 00 <dtype> <rank>, got ${got}${hint}`,
      file,
    );
  }
  if (n < 4) {
    throw new IdxFormatError('IDX_TRUNCATED_HEADER', `file is ${n} bytes, shorter than the 4-byte magic number`, file);
  }
  const code = bytes[2]!;
  const dtype = DTYPE_BY_CODE.get(code);
  if (dtype === undefined) {
    throw new IdxFormatError(
      'IDX_UNKNOWN_DTYPE',
      `unknown dtype byte 0x${code.toString(16).padStart(2, '0')} (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)`,
      file,
    );
  }
  const rank = bytes[3]!;
  if (rank === 0)
    throw new IdxFormatError('IDX_RANK_ZERO', 'rank is 0 (an IDX file needs at least one dimension)', file);
  const dataOffset = 4 + 4 * rank;
  if (n < dataOffset) {
    throw new IdxFormatError(
      'IDX_TRUNCATED_HEADER',
      `rank ${rank} needs a ${dataOffset}-byte header but the file has only ${n} bytes`,
      file,
    );
  }
  const shape: number[] = new Array(rank);
  let declared = IDX_DTYPES[dtype].bytes;
  for (let i = 0; i < rank; i++) {
    const p = 4 + 4 * i;
    const dim = ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0;
    if (dim === 0) throw new IdxFormatError('IDX_ZERO_DIMENSION', `dimension ${i} is 0`, file);
    shape[i] = dim;
    declared *= dim;
  }
  return { dtype, shape, dataOffset, declaredFileBytes: dataOffset + declared };
}

/**
 * Reads and validates an IDX header against the bytes present. Every size is checked before
 * anything is allocated, so a header that claims billions of elements costs nothing.
 */
export function readIdxHeader(input: Uint8Array | ArrayBuffer, fileName?: string): IdxHeader {
  const bytes = toUint8(input);
  const file = fileName === undefined ? {} : { file: fileName };
  const { dtype, shape, dataOffset, declaredFileBytes } = readIdxPreamble(bytes, fileName);
  const elementBytes = IDX_DTYPES[dtype].bytes;
  const available = bytes.length - dataOffset;
  const declaredBytes = declaredFileBytes - dataOffset;
  if (declaredBytes > available) {
    const declared = Number.isSafeInteger(declaredBytes) ? String(declaredBytes) : 'more than 2^53';
    throw new IdxFormatError(
      'IDX_TRUNCATED_DATA',
      `header declares shape [${shape.join(', ')}] of ${dtype} = ${declared} data bytes but only ${available} are present`,
      file,
    );
  }
  const byteLength = declaredBytes;
  if (available > byteLength) {
    throw new IdxFormatError(
      'IDX_TRAILING_BYTES',
      `${available - byteLength} trailing bytes after the ${byteLength} data bytes of shape [${shape.join(', ')}]`,
      file,
    );
  }
  return { dtype, shape, dataOffset, length: byteLength / elementBytes, byteLength };
}

/**
 * Parses an uncompressed IDX file. uint8 and int8 data are views of `bytes` (no copy) unless
 * `options.copy`; wider types are decoded from big-endian once into a new typed array.
 * Throws `IdxFormatError` (with a stable `code`) for anything that is not a valid IDX file.
 *
 * @example
 * ```ts
 * import { encodeIdx, parseIdx } from '@mnist-cnn/mnist-data';
 *
 * const bytes = encodeIdx({ dtype: 'uint8', shape: [2, 2], data: [0, 64, 128, 255] });
 * const { dtype, shape, data } = parseIdx(bytes, 'tiny.idx');
 * console.log(dtype, shape, data); // uint8 [ 2, 2 ] Uint8Array(4) [ 0, 64, 128, 255 ]
 * ```
 */
export function parseIdx(input: Uint8Array | ArrayBuffer, fileName?: string, options: ParseIdxOptions = {}): IdxTensor {
  const bytes = toUint8(input);
  const { dtype, shape, dataOffset, length, byteLength } = readIdxHeader(bytes, fileName);
  const start = bytes.byteOffset + dataOffset;
  if (dtype === 'uint8') {
    const view = bytes.subarray(dataOffset, dataOffset + byteLength);
    return { dtype, shape, data: options.copy ? view.slice() : view };
  }
  if (dtype === 'int8') {
    const view = new Int8Array(bytes.buffer, start, length);
    return { dtype, shape, data: options.copy ? view.slice() : view };
  }
  // Wider types: one copy that also converts big-endian to the platform's order, byte by byte so that
  // every bit pattern (NaN payloads included) survives exactly.
  const buffer = fromBigEndian(bytes.subarray(dataOffset, dataOffset + byteLength), IDX_DTYPES[dtype].bytes);
  switch (dtype) {
    case 'int16':
      return { dtype, shape, data: new Int16Array(buffer) };
    case 'int32':
      return { dtype, shape, data: new Int32Array(buffer) };
    case 'float32':
      return { dtype, shape, data: new Float32Array(buffer) };
    case 'float64':
      return { dtype, shape, data: new Float64Array(buffer) };
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copies `src` into a new buffer, reversing each `size`-byte group when the platform is little-endian. */
function fromBigEndian(src: Uint8Array, size: number): ArrayBuffer {
  const out = new Uint8Array(src.length);
  if (!LITTLE_ENDIAN) {
    out.set(src);
    return out.buffer;
  }
  swapInto(src, out, size);
  return out.buffer;
}

function swapInto(src: Uint8Array, out: Uint8Array, size: number): void {
  const n = src.length;
  if (size === 2) {
    for (let i = 0; i < n; i += 2) {
      out[i] = src[i + 1]!;
      out[i + 1] = src[i]!;
    }
  } else if (size === 4) {
    for (let i = 0; i < n; i += 4) {
      out[i] = src[i + 3]!;
      out[i + 1] = src[i + 2]!;
      out[i + 2] = src[i + 1]!;
      out[i + 3] = src[i]!;
    }
  } else {
    for (let i = 0; i < n; i += size) {
      for (let j = 0; j < size; j++) out[i + j] = src[i + size - 1 - j]!;
    }
  }
}

/**
 * Encodes a tensor as IDX bytes (big-endian). `data` must have exactly `product(shape)` elements;
 * values are converted like the matching typed array would (wrap for integers, rounding for float32).
 */
export function encodeIdx(tensor: IdxTensorInput): Uint8Array {
  const { dtype, shape, data } = tensor;
  const info = (IDX_DTYPES as Record<string, { code: number; bytes: number } | undefined>)[dtype];
  if (info === undefined) throw new IdxFormatError('IDX_INVALID_TENSOR', `unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 255) {
    throw new IdxFormatError('IDX_INVALID_TENSOR', 'shape must be an array of 1 to 255 dimensions');
  }
  let length = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 1 || dim > 0xffffffff) {
      throw new IdxFormatError('IDX_INVALID_TENSOR', `dimension ${dim} is not an integer in 1..4294967295`);
    }
    length *= dim;
  }
  if (data === null || typeof data !== 'object' || data.length !== length) {
    throw new IdxFormatError(
      'IDX_INVALID_TENSOR',
      `data has ${data?.length} elements but shape [${shape.join(', ')}] needs ${length}`,
    );
  }
  const dataOffset = 4 + 4 * shape.length;
  const out = new Uint8Array(dataOffset + length * info.bytes);
  const dv = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = shape.length;
  for (let i = 0; i < shape.length; i++) dv.setUint32(4 + 4 * i, shape[i]!, false);
  const Native = NATIVE_ARRAYS[dtype];
  if (dtype !== 'uint8' && data instanceof Native) {
    // Same element type: copy the bytes themselves (bit-exact, NaN payloads included), swapped to big-endian.
    const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const dst = out.subarray(dataOffset);
    if (LITTLE_ENDIAN) swapInto(src, dst, info.bytes);
    else dst.set(src);
    return out;
  }
  switch (dtype) {
    case 'uint8':
      out.set(data instanceof Uint8Array ? data : Uint8Array.from(data), dataOffset);
      break;
    case 'int8':
      out.set(new Uint8Array(Int8Array.from(data).buffer), dataOffset);
      break;
    case 'int16':
      for (let i = 0; i < length; i++) dv.setInt16(dataOffset + i * 2, data[i]!, false);
      break;
    case 'int32':
      for (let i = 0; i < length; i++) dv.setInt32(dataOffset + i * 4, data[i]!, false);
      break;
    case 'float32':
      for (let i = 0; i < length; i++) dv.setFloat32(dataOffset + i * 4, data[i]!, false);
      break;
    case 'float64':
      for (let i = 0; i < length; i++) dv.setFloat64(dataOffset + i * 8, data[i]!, false);
      break;
  }
  return out;
}
