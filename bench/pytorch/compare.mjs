// Speed of the reference CNN, ours next to PyTorch's, in one run: training throughput (batch 64 and 32, 1 and 2
// workers / threads, and two separate 1-worker processes at once), inference at batch 256, and the time the default
// `mnist-cnn train` needs against PyTorch trained with the same recipe. Rounds interleave every configuration; each row
// shows its best round. PyTorch is optional: it runs only when /usr/bin/python3 can import torch (Debian: apt-get
// install python3-torch); the project never needs it.
// With PyTorch, the run records its figures on the benchmarks page (apps/docs/benchmarks.json).
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { recordFigures } from '../figures.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cliPackage = join(root, 'packages', 'cli');
const cli = join(cliPackage, 'dist', 'bin.js');
const steps = Number(process.env.BENCH_STEPS ?? 100);
// Untimed training steps before each training row is timed, the same count for ours and PyTorch's. Steady state takes a
// fresh process (and a fresh worker thread) well over a hundred steps to reach: timed from step 12, as this script did
// before, a 2-worker row counted the slow start of the run, and the default `mnist-cnn train` trained its whole epoch
// faster than that row said it could.
const warmup = 200;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const cores = availableParallelism();
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

const cliOptions = { encoding: 'utf8', maxBuffer: 1 << 26 };
const jsonLines = (output) =>
  output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
const runCli = (args) => jsonLines(execFileSync(process.execPath, [cli, ...args, '--json'], cliOptions));
const runCliAsync = async (args) =>
  jsonLines((await promisify(execFile)(process.execPath, [cli, ...args, '--json'], cliOptions)).stdout);

// --workers explicitly: `mnist-cnn bench` otherwise picks its own count. No augmentation, as PyTorch's rows have none.
const trainingArgs = (batchSize, workers) => [
  'bench',
  '--no-augment',
  '--backend',
  'wasm',
  '--batch-size',
  String(batchSize),
  '--workers',
  String(workers),
  '--steps',
  String(steps),
  '--warmup',
  String(warmup),
  // The training rows read only the training figure; the inference rows below time inference properly.
  '--inference-images',
  '1',
];
const oursTraining = (batchSize, workers) => runCli(trainingArgs(batchSize, workers)).at(-1).trainingImagesPerSecond;
// Two separate 1-worker processes at the same time, summed: what the cores give two runs that share nothing, so the
// most that 2 workers of one run can reach on this machine in these minutes.
const twoProcesses = async (batchSize) => {
  const pair = await Promise.all([0, 1].map(() => runCliAsync(trainingArgs(batchSize, 1))));
  return pair.reduce((sum, events) => sum + events.at(-1).trainingImagesPerSecond, 0);
};
// Inference: our replicas on worker threads (bench reports how many it used) against PyTorch's intra-op threads.
const inferenceWorkers = new Map();
const oursInference = (workers) => {
  const record = runCli([
    'bench',
    '--backend',
    'wasm',
    '--batch-size',
    '256',
    '--workers',
    String(workers),
    '--steps',
    '2',
    '--warmup',
    '2',
    '--inference-images',
    '10000',
  ]).at(-1);
  inferenceWorkers.set(workers, record.inferenceWorkers);
  return record.inferenceImagesPerSecond;
};

function readNodeModule(expression) {
  const script = `import('${expression.module}').then(async (m) => console.log(JSON.stringify(await (${expression.value})(m))))`;
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: cliPackage, encoding: 'utf8' }),
  );
}
const mnistDirectory = () =>
  readNodeModule({ module: '@mnist-cnn/mnist-data/node', value: 'async (m) => (await m.loadDataset()).source.path' });
const defaultRecipe = () => readNodeModule({ module: '@mnist-cnn/trainer', value: '(m) => m.recipes.reference' });

function pytorch(args) {
  // Some machines here pin OpenBLAS to an older core type for numpy's sake; that slows PyTorch, so drop it for this run.
  const { OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, ...rest } = process.env;
  // glibc's malloc hands each multi-megabyte activation back to the kernel when it is freed, so every step page-faults
  // it in again: 865-970 img/s for the first few hundred steps instead of the 2,100+ PyTorch settles at. Keeping freed
  // memory in the heap measures PyTorch at its steady speed, as jemalloc or tcmalloc would run it.
  const env = {
    ...rest,
    GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296',
  };
  const run = spawnSync(python, [join(here, 'reference_cnn.py'), dataDirectory, ...args], { encoding: 'utf8', env });
  if (run.status !== 0) throw new Error(`PyTorch run failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim());
}

// PyTorch's fully connected layers run on whichever BLAS Debian's alternatives point at: the reference BLAS that
// python3-torch pulls in, or OpenBLAS (libopenblas0-pthread), which makes PyTorch about 1.7x faster on this net.
function blasLibrary() {
  try {
    return realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3').includes('openblas') ? 'OpenBLAS' : 'reference BLAS';
  } catch {
    return 'BLAS unknown';
  }
}

const dataDirectory = mnistDirectory();
const plural = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;
const measurements = [
  ...[64, 32].flatMap((batch) =>
    [1, 2].map((workers) => ({ key: `ours ${batch} ${workers}`, run: () => oursTraining(batch, workers) })),
  ),
  ...[64, 32].map((batch) => ({ key: `ours ${batch} two processes`, run: () => twoProcesses(batch) })),
  ...[1, cores].map((workers) => ({ key: `ours infer ${workers}`, run: () => oursInference(workers) })),
  ...(hasTorch
    ? [
        ...[1, 2].map((threads) => ({
          key: `torch ${threads}`,
          run: () =>
            pytorch(['--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup)])
              .imagesPerSecond,
        })),
        ...[1, cores].map((threads) => ({
          key: `torch infer ${threads}`,
          run: () => pytorch(['--mode', 'infer', '--threads', String(threads)]).imagesPerSecond,
        })),
      ]
    : []),
];
const best = new Map();
for (let round = 0; round < rounds; round++) {
  for (const { key, run } of measurements) best.set(key, Math.max(best.get(key) ?? 0, await run()));
}

// Time to accuracy: the default `mnist-cnn train`, then PyTorch with the same recipe, epochs and image count.
const out = mkdtempSync(join(tmpdir(), 'mnist-cnn-compare-'));
let ours;
try {
  const events = runCli(['train', '--out', join(out, 'model')]);
  ours = {
    ...events.find((event) => event.type === 'summary'),
    workers: events.find((event) => event.type === 'start').workers,
  };
} finally {
  rmSync(out, { recursive: true, force: true });
}
const recipe = { ...defaultRecipe(), epochs: ours.epochs };
const torchRecipe = hasTorch
  ? pytorch([
      '--mode',
      'recipe',
      '--threads',
      '1',
      '--recipe',
      JSON.stringify(recipe),
      '--train-count',
      String(ours.trainCount),
    ])
  : undefined;

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const torchName = hasTorch
  ? `PyTorch ${execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim()} (${blasLibrary()}, malloc thresholds raised)`
  : 'PyTorch (not installed)';
const figure = (value) => (value === undefined ? '     —' : String(Math.round(value)).padStart(6));
const ratio = (value, base) => (value === undefined || base === undefined ? '' : `${(value / base).toFixed(2)}×`);
const row = (name, value, note = '') => console.log(`${name.padEnd(52)} ${figure(value)} img/s  ${note}`);

console.log(
  `reference CNN, Adam, wasm; commit ${commit}; ${plural(cores, 'core')}; best of ${plural(rounds, 'round')}, ${steps} training steps timed after ${warmup} untimed`,
);
const torch1 = best.get('torch 1');
const torch2 = best.get('torch 2');
const torchBest = torch1 === undefined ? undefined : Math.max(torch1, torch2);
console.log('\ntraining, batch 64');
row(`${torchName}, 1 thread`, torch1);
row(`${torchName}, 2 threads`, torch2, ratio(torch2, torch1) && `${ratio(torch2, torch1)} its 1 thread`);
for (const batch of [64, 32]) {
  if (batch === 32) console.log('\ntraining, batch 32');
  const one = best.get(`ours ${batch} 1`);
  const two = best.get(`ours ${batch} 2`);
  row('mnist-cnn, 1 worker', one, torch1 === undefined ? '' : `${ratio(one, torch1)} PyTorch's 1 thread`);
  row(
    'mnist-cnn, 2 workers',
    two,
    `${ratio(two, one)} 1 worker${torchBest === undefined ? '' : `; ${ratio(two, torchBest)} PyTorch's best on ${plural(cores, 'core')}`}`,
  );
  const pair = best.get(`ours ${batch} two processes`);
  row('two 1-worker processes at once, summed', pair, `${ratio(pair, one)} 1 worker: the most 2 workers can reach`);
}
console.log(`\ninference, batch 256, test set`);
const torchInferBest = Math.max(best.get('torch infer 1') ?? 0, best.get(`torch infer ${cores}`) ?? 0) || undefined;
row(`${torchName}, 1 thread`, best.get('torch infer 1'));
row(`${torchName}, ${plural(cores, 'thread')}`, best.get(`torch infer ${cores}`));
const oursInfer1 = best.get('ours infer 1');
const oursInferAll = best.get(`ours infer ${cores}`);
const torchInfer1 = best.get('torch infer 1');
row(
  'mnist-cnn, 1 worker',
  oursInfer1,
  torchInfer1 === undefined ? '' : `${ratio(oursInfer1, torchInfer1)} PyTorch's 1 thread`,
);
row(
  `mnist-cnn, ${plural(inferenceWorkers.get(cores), 'worker')} (all cores)`,
  oursInferAll,
  `${ratio(oursInferAll, oursInfer1)} 1 worker${torchInferBest === undefined ? '' : `; ${ratio(oursInferAll, torchInferBest)} PyTorch's best on ${plural(cores, 'core')}`}`,
);
console.log(`\ntime to accuracy: the default recipe (${JSON.stringify(recipe)}) on ${ours.trainCount} images`);
const accuracy = (value) => `${(value * 100).toFixed(2)}%`;
console.log(
  `${`mnist-cnn train (defaults, ${plural(ours.workers, 'worker')})`.padEnd(52)} ${accuracy(ours.testAccuracy)} in ${(ours.durationMs / 1000).toFixed(1)} s`,
);
if (torchRecipe)
  console.log(
    `${`${torchName}, same recipe, 1 thread`.padEnd(52)} ${accuracy(torchRecipe.testAccuracy)} in ${torchRecipe.trainingSeconds.toFixed(1)} s (ours: ${ratio(torchRecipe.trainingSeconds, ours.durationMs / 1000)} its speed)`,
  );

const blas = blasLibrary();
const round = (value) => Math.round(value);
if (hasTorch) {
  const command = 'pnpm bench:pytorch';
  await recordFigures('training', {
    title: `Training speed: reference CNN, Adam (best of ${plural(rounds, 'round')}, one run)`,
    unit: 'images/s',
    command,
    columns: ['1 thread / worker', '2 threads / workers'],
    rows: [
      { name: `PyTorch 1.13, ${blas}, batch 64`, values: [round(torch1), round(torch2)] },
      ...[64, 32].map((batch) => ({
        name: `mnist-cnn, wasm, batch ${batch}`,
        values: [round(best.get(`ours ${batch} 1`)), round(best.get(`ours ${batch} 2`))],
      })),
      ...[64, 32].map((batch) => ({
        name: `mnist-cnn, two 1-worker processes at once (each, summed), batch ${batch}`,
        values: [round(best.get(`ours ${batch} two processes`) / 2), round(best.get(`ours ${batch} two processes`))],
      })),
    ],
  });
  await recordFigures('inference', {
    title: 'Inference speed: reference CNN, batch 256, MNIST test set',
    unit: 'images/s',
    command,
    columns: ['images/s'],
    rows: [
      { name: `PyTorch 1.13, ${blas}, 1 thread`, values: [round(best.get('torch infer 1'))] },
      { name: `PyTorch 1.13, ${blas}, ${plural(cores, 'thread')}`, values: [round(best.get(`torch infer ${cores}`))] },
      { name: 'mnist-cnn, wasm, 1 worker', values: [round(oursInfer1)] },
      { name: `mnist-cnn, wasm, ${plural(inferenceWorkers.get(cores), 'worker')}`, values: [round(oursInferAll)] },
    ],
  });
  await recordFigures('timeToAccuracy', {
    title: `Default mnist-cnn train against PyTorch with the same recipe (${recipe.epochs} epoch${recipe.epochs === 1 ? '' : 's'}, batch ${recipe.batchSize})`,
    unit: 'seconds of training',
    command,
    columns: ['seconds'],
    rows: [
      {
        name: `mnist-cnn train, ${plural(ours.workers, 'worker')}: ${accuracy(ours.testAccuracy)}`,
        values: [Number((ours.durationMs / 1000).toFixed(1))],
      },
      {
        name: `PyTorch 1.13, ${blas}, 1 thread: ${accuracy(torchRecipe.testAccuracy)}`,
        values: [torchRecipe.trainingSeconds],
      },
      { name: 'target: 99.0% within', values: [30] },
    ],
  });
  console.log('\nrecorded in apps/docs/benchmarks.json (training, inference, timeToAccuracy)');
}
