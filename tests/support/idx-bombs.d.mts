/** An IDX header for uint8 data of `shape`. */
export function idxHeader(shape: number[]): Uint8Array;

/** A few MB of gzip: an IDX header for `shape`, then zeros inflating to at least `inflatedBytes`. */
export function gzipBomb(shape: number[], inflatedBytes: number): Uint8Array;

/** The same bomb as a single gzip member, which a browser's DecompressionStream accepts. */
export function gzipBombOneMember(shape: number[], inflatedBytes: number): Uint8Array;

/** Writes `gzipBomb(shape, inflatedBytes)` to `path`; returns its size on disk. */
export function writeGzipBomb(path: string, shape: number[], inflatedBytes: number): number;
