// Runs in the temp project: writes what the CLI and the browser page read, from the installed packages.
//   digits/test-<i>-label-<l>.png  MNIST test digits as black ink on white paper, scaled ×3 (a "photo" for predict)
//   browser-data/*.gz               a small MNIST slice in the standard gzipped IDX names, for fetchDataset('/data/')
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { imageAt, sliceSplit } from '@mnist-cnn/mnist-data';
import { loadDataset, writeIdxFile } from '@mnist-cnn/mnist-data/node';

const [, , digitsDir, dataDir, ...indices] = process.argv;
const mnist = await loadDataset();

// A minimal 8-bit grayscale PNG: signature, IHDR, one zlib IDAT (filter byte 0 per row), IEND.
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function grayPng(width, height, pixels) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: grayscale
  const rows = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) rows.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(digitsDir, { recursive: true });
const scale = 3;
for (const index of indices.map(Number)) {
  const { rows, cols } = mnist.test;
  const digit = imageAt(mnist.test, index);
  const pixels = new Uint8Array(rows * scale * cols * scale);
  for (let y = 0; y < rows * scale; y++)
    for (let x = 0; x < cols * scale; x++)
      pixels[y * cols * scale + x] = 255 - digit[Math.floor(y / scale) * cols + Math.floor(x / scale)];
  const file = `${digitsDir}/test-${index}-label-${mnist.test.labels[index]}.png`;
  writeFileSync(file, grayPng(cols * scale, rows * scale, pixels));
}

mkdirSync(dataDir, { recursive: true });
for (const [prefix, split, count] of [
  ['train', mnist.train, 1024],
  ['t10k', mnist.test, 256],
]) {
  const slice = sliceSplit(split, 0, count);
  await writeIdxFile(
    `${dataDir}/${prefix}-images-idx3-ubyte.gz`,
    { dtype: 'uint8', shape: [count, slice.rows, slice.cols], data: slice.images },
    { gzip: true },
  );
  await writeIdxFile(
    `${dataDir}/${prefix}-labels-idx1-ubyte.gz`,
    { dtype: 'uint8', shape: [count], data: slice.labels },
    { gzip: true },
  );
}
