// Training speed of the reference CNN, ours next to PyTorch's, in one run (batch 64, Adam). PyTorch is optional: it
// runs only when /usr/bin/python3 can import torch (Debian: apt-get install python3-torch); the project never needs it.
import { execFileSync, spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cli = join(root, 'packages', 'cli', 'dist', 'bin.js');
const steps = Number(process.env.BENCH_STEPS ?? 100);

function ours(backend, workers) {
  // --workers explicitly: `mnist-cnn bench` defaults to one worker per core.
  const output = execFileSync(
    process.execPath,
    [
      cli,
      'bench',
      '--backend',
      backend,
      '--batch-size',
      '64',
      '--workers',
      String(workers),
      '--steps',
      String(steps),
      '--json',
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(output.trim().split('\n').at(-1));
}

function mnistDirectory() {
  const script =
    "import('@mnist-cnn/mnist-data/node').then(async (m) => console.log((await m.loadDataset()).source.path))";
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(root, 'packages', 'cli'),
    encoding: 'utf8',
  }).trim();
}

function pytorch(threads) {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return undefined;
  // Some machines here pin OpenBLAS to an older core type for numpy's sake; that slows PyTorch, so drop it for this run.
  const { OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, ...rest } = process.env;
  // glibc's malloc hands each multi-megabyte activation back to the kernel when it is freed, so every step page-faults
  // it in again: 865-970 img/s for the first few hundred steps instead of the 2,100+ PyTorch settles at. Keeping freed
  // memory in the heap measures PyTorch at its steady speed, as jemalloc or tcmalloc would run it.
  const env = {
    ...rest,
    GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296',
  };
  const run = spawnSync(
    python,
    [join(here, 'reference_cnn.py'), mnistDirectory(), '--threads', String(threads), '--steps', String(steps)],
    { encoding: 'utf8', env },
  );
  if (run.status !== 0) throw new Error(`PyTorch run failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim());
}

const rows = [];
for (const backend of ['wasm', 'cpu']) {
  for (const workers of [1, 2]) {
    rows.push({
      name: `mnist-cnn ${backend}, ${workers} thread${workers > 1 ? 's' : ''}`,
      imagesPerSecond: ours(backend, workers).trainingImagesPerSecond,
    });
  }
}
for (const threads of [1, 2]) {
  const result = pytorch(threads);
  if (result)
    rows.push({
      name: `PyTorch ${torchVersion()} cpu (${blasLibrary()}), ${threads} thread${threads > 1 ? 's' : ''}`,
      imagesPerSecond: result.imagesPerSecond,
    });
}

function torchVersion() {
  return execFileSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
  }).trim();
}

// PyTorch's fully connected layers run on whichever BLAS Debian's alternatives point at: the reference BLAS that
// python3-torch pulls in, or OpenBLAS (libopenblas0-pthread), which makes PyTorch about 1.7x faster on this net.
function blasLibrary() {
  try {
    const target = realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3');
    return target.includes('openblas') ? 'OpenBLAS' : 'reference BLAS';
  } catch {
    return 'BLAS unknown';
  }
}

const threadCount = (row) => row.name.split(', ').at(-1);
console.log(`reference CNN, batch 64, Adam, ${steps} timed steps`);
for (const row of rows) {
  const torch = rows.find((other) => other.name.startsWith('PyTorch') && threadCount(other) === threadCount(row));
  const ratio = torch
    ? ` (${(row.imagesPerSecond / torch.imagesPerSecond).toFixed(2)}× PyTorch on ${threadCount(row)})`
    : '';
  console.log(`${row.name.padEnd(48)} ${String(Math.round(row.imagesPerSecond)).padStart(6)} img/s${ratio}`);
}
