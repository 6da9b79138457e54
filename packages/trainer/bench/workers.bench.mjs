// Training throughput of the reference preset with 1 and 2 worker threads (data-parallel), on wasm and cpu, batch 64.
// Prints images per second per configuration, the speed-up of 2 workers over 1, and the load average while it ran,
// since other jobs on a shared machine change the figures. Configurations alternate (1, 2, 1, 2, …) for --repeats
// rounds so that a burst of load hits both; the best and the median round are printed.
//
//   pnpm --filter @mnist-cnn/trainer build && node packages/trainer/bench/workers.bench.mjs
//   node packages/trainer/bench/workers.bench.mjs --backends wasm --workers 1,2 --steps 80 --batch-size 32 --warmup 200
//   node packages/trainer/bench/workers.bench.mjs --backends wasm --ceiling
//   node packages/trainer/bench/workers.bench.mjs --backends wasm --per-core --batch-size 32
// --ceiling adds a round of two separate 1-worker processes running at the same time: their summed img/s is what two
// cores give two independent single-threaded runs, the ceiling for 2 workers on this machine.
// --per-core (Linux, needs taskset) adds, to every round, one 1-worker process pinned to each core in turn. On a
// shared virtual machine one core can run this workload much slower than the other for minutes at a time. 2 workers
// split every batch evenly and wait for each other each step, so the slower core sets their pace; two separate
// processes (the ceiling) each go at their own.
import { execFile, execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sliceSplit } from '@mnist-cnn/mnist-data';
import { loadDataset } from '@mnist-cnn/mnist-data/node';
import { enableProdMode } from '@tensorflow/tfjs-core';
import { initBackend, train } from '../dist/node.js';

// As the CLI does: production mode skips tfjs's debug checks and its "install tfjs-node" notice, which every worker
// thread would otherwise print (they inherit the main thread's mode).
enableProdMode();

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    backends: { type: 'string', default: 'wasm,cpu' },
    workers: { type: 'string', default: '1,2' },
    preset: { type: 'string', default: 'reference' },
    'batch-size': { type: 'string', default: '64' },
    // Timed steps per configuration (see forBackend for cpu).
    steps: { type: 'string', default: '60' },
    repeats: { type: 'string', default: '3' },
    // A fresh process and its worker threads take well over a hundred steps to settle at their steady cost per step
    // (two workers longer than one), so rounds are timed after this many batches.
    warmup: { type: 'string', default: '200' },
    ceiling: { type: 'boolean' },
    'per-core': { type: 'boolean' },
    'single-run': { type: 'boolean' },
  },
});

/** Batches of `count` on `backend`: cpu steps are about 6× slower than wasm's, so cpu runs a sixth of them. */
const forBackend = (count, backend, least) => Math.max(least, Math.round(Number(count) / (backend === 'cpu' ? 6 : 1)));
if (process.env.BENCH_PID) console.log(`pid ${process.pid}`);
const batchSize = Number(values['batch-size']);
const mnist = await loadDataset();

async function measure(workers, steps, warmupBatches) {
  const batches = steps + warmupBatches;
  let timedFrom = 0;
  let timedTo = 0;
  const result = await train({
    model: values.preset,
    train: sliceSplit(mnist.train, 0, batches * batchSize),
    epochs: 1,
    batchSize,
    workers,
    onEvent: (event) => {
      if (event.type !== 'batch') return;
      if (event.batch === warmupBatches) timedFrom = performance.now();
      timedTo = performance.now();
    },
  });
  result.model.dispose();
  return (steps * batchSize * 1000) / (timedTo - timedFrom);
}

if (values['single-run']) {
  // A child of --ceiling: one 1-worker measurement, printed as JSON.
  await initBackend(values.backends);
  const steps = forBackend(values.steps, values.backends, 5);
  const warmup = forBackend(values.warmup, values.backends, 1);
  console.log(JSON.stringify({ imagesPerSecond: await measure(1, steps, warmup) }));
  process.exit(0);
}

/** A 1-worker measurement in a child process (pinned to `cpu` through taskset if given); resolves with its img/s. */
function childRun(backend, cpu) {
  const args = [fileURLToPath(import.meta.url), '--single-run', '--backends', backend];
  args.push(
    '--steps',
    values.steps,
    '--batch-size',
    values['batch-size'],
    '--preset',
    values.preset,
    '--warmup',
    values.warmup,
  );
  const [file, fileArgs] =
    cpu === undefined ? [process.execPath, args] : ['taskset', ['-c', String(cpu), process.execPath, ...args]];
  return new Promise((resolve, reject) =>
    execFile(file, fileArgs, (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout.trim().split('\n').at(-1)).imagesPerSecond),
    ),
  );
}

/** Two 1-worker processes at once; resolves with each one's img/s. */
const twoProcesses = (backend) => Promise.all([childRun(backend), childRun(backend)]);

/**
 * The cores this process may run on, as taskset lists them ("0,1" or "2-5,8"): under an affinity mask (a container's
 * cpuset, or taskset around this script) they need not be 0 … n − 1.
 */
function cpuList() {
  let report;
  try {
    report = execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  } catch {
    throw new Error('--per-core pins processes with taskset (util-linux), which is not available here');
  }
  const list = /list:\s*([\d,-]+)/.exec(report)?.[1];
  if (!list) throw new Error(`--per-core could not read this process's cores from taskset: ${report.trim()}`);
  return list.split(',').flatMap((range) => {
    const [first, last = first] = range.split('-').map(Number);
    return Array.from({ length: last - first + 1 }, (_, index) => first + index);
  });
}

const formatLoad = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const median = (numbers) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)];
for (const backend of values.backends.split(',')) {
  const info = await initBackend(backend);
  const steps = forBackend(values.steps, backend, 5);
  const warmup = forBackend(values.warmup, backend, 1);
  const counts = values.workers.split(',').map(Number);
  const rounds = new Map(counts.map((workers) => [workers, []]));
  const loadBefore = formatLoad();
  const cpus = values['per-core'] ? cpuList() : [];
  const perCore = [];
  for (let round = 0; round < Number(values.repeats); round++) {
    for (const workers of counts) rounds.get(workers).push(await measure(workers, steps, warmup));
    // In the same minutes as this round's workers, since a core's speed changes from minute to minute.
    const figures = [];
    for (const cpu of cpus) figures.push(await childRun(backend, cpu));
    if (figures.length > 0) perCore.push(figures);
  }
  const ceilings = [];
  if (values.ceiling)
    for (let round = 0; round < Number(values.repeats); round++) ceilings.push(await twoProcesses(backend));
  const name = `${values.preset} ${info.backend}${info.simd ? ' (simd)' : ''} batch ${batchSize}`;
  console.log(
    `${name}, ${steps} timed steps per round after ${warmup} untimed, load average before ${loadBefore}, after ${formatLoad()}`,
  );
  for (const [workers, figures] of rounds) {
    const best = Math.max(...figures);
    // Rounds r of each count ran back to back, so their ratio is the one least moved by load that changes over minutes.
    const paired = workers === 1 || !rounds.has(1) ? [] : figures.map((figure, round) => figure / rounds.get(1)[round]);
    const speedUp =
      paired.length === 0
        ? ''
        : `, ${(best / Math.max(...rounds.get(1))).toFixed(2)}× of 1 worker (best), ` +
          `${median(paired).toFixed(2)}× (median of rounds: ${paired.map((ratio) => ratio.toFixed(2)).join(', ')})`;
    console.log(
      `  workers ${workers}: best ${best.toFixed(0)} img/s, median ${median(figures).toFixed(0)} img/s` +
        ` (rounds: ${figures.map((figure) => figure.toFixed(0)).join(', ')})${speedUp}`,
    );
  }
  if (ceilings.length > 0) {
    const sums = ceilings.map(([a, b]) => a + b);
    const best = Math.max(...sums);
    const ratio = rounds.has(1) ? `, ${(best / Math.max(...rounds.get(1))).toFixed(2)}× of 1 worker (best)` : '';
    console.log(
      `  two separate 1-worker processes at once: best ${best.toFixed(0)} img/s together, median ` +
        `${median(sums).toFixed(0)} (rounds: ${ceilings.map(([a, b]) => `${a.toFixed(0)}+${b.toFixed(0)}`).join(', ')})${ratio}`,
    );
  }
  for (const [round, figures] of perCore.entries()) {
    const slowest = Math.min(...figures);
    console.log(
      `  1 worker pinned to each core in round ${round + 1}: ${figures.map((figure, cpu) => `cpu ${cpu} ${figure.toFixed(0)}`).join(', ')} img/s;` +
        ` slowest ÷ fastest ${(slowest / Math.max(...figures)).toFixed(2)}`,
    );
  }
}
