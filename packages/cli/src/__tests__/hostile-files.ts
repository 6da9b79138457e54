import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { mnistDataDir } from './fixtures.js';

/** Every bomb must be refused below this resident size. */
export const residentCeiling = 600 * 1024 * 1024;
/** The test kills a child above this, so that a regression fails instead of exhausting the machine. */
export const memoryGuard = 1024 * 1024 * 1024;

const datasetFiles = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

/** A --data directory holding the real MNIST files, except those `replace` writes itself. */
export function dataDirWith(dir: string, replace: Record<string, (path: string) => void>): string {
  mkdirSync(dir, { recursive: true });
  for (const name of datasetFiles) {
    const own = Object.keys(replace).find((file) => file.replace(/\.gz$/, '') === name);
    if (own) replace[own]!(join(dir, own));
    else copyFileSync(join(mnistDataDir, name), join(dir, name));
  }
  return dir;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A valid PNG of `side`×`side` black grey pixels, small on disk: every row is a filter byte and zeros, which deflate
 * about a thousandfold. Decoding it would take side² × 4 bytes of RGBA.
 */
export function writePngBomb(path: string, side: number): void {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const raster = deflateSync(new Uint8Array((side + 1) * side), { level: 9 });
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', raster),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
  const fd = openSync(path, 'w');
  writeSync(fd, png);
  closeSync(fd);
}

/** A sparse file of `size` bytes (a hole: no disk space used) starting with `head`. */
export function writeSparseFile(path: string, head: Uint8Array, size: string): void {
  const fd = openSync(path, 'w');
  writeSync(fd, head);
  closeSync(fd);
  execFileSync('truncate', ['-s', size, path]);
}

/** A FIFO at `path`: opening it for reading the ordinary way would block until a writer comes. */
export function makeFifo(path: string): void {
  execFileSync('mkfifo', [path]);
}
