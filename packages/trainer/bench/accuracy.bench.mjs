// Accuracy bench: trains the recipes on the full MNIST training set and prints test accuracy, time, images/s and
// peak RSS. Each run is its own child process so that its peak RSS is its own. Takes minutes per epoch on 2 cores.
//
//   pnpm --filter @mnist-cnn/trainer bench                       # reference 1 epoch, reference 3 epochs
//   pnpm --filter @mnist-cnn/trainer bench -- --runs best,best-fashion --backend wasm
//   pnpm --filter @mnist-cnn/trainer bench -- --runs best --workers 2   # data-parallel on 2 worker threads
//   pnpm --filter @mnist-cnn/trainer bench -- --limit 2000       # quick smoke run on a subset
// Each epoch's training loss, accuracy and speed go to stderr as the run goes, so long runs can be watched.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  // pnpm forwards a literal `--` before the script's own flags.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    runs: { type: 'string', default: 'reference-1,reference-3' },
    backend: { type: 'string', default: 'wasm' },
    limit: { type: 'string' },
    seed: { type: 'string', default: '42' },
    workers: { type: 'string', default: '1' },
    // Overrides of the recipe, for tuning: --batch-size 32 --lr 0.002 --schedule cosine --epochs 2 --augment
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    schedule: { type: 'string' },
    epochs: { type: 'string' },
    augment: { type: 'boolean' },
    child: { type: 'string' },
  },
});

const runs = {
  'reference-1': { dataset: 'mnist', recipe: 'reference', epochs: 1 },
  'reference-3': { dataset: 'mnist', recipe: 'reference', epochs: 3 },
  best: { dataset: 'mnist', recipe: 'best' },
  'best-fashion': { dataset: 'fashion-mnist', recipe: 'best' },
};

async function child(name) {
  const { initBackend, train, evaluate, getRecipe } = await import('../dist/node.js');
  const { loadDataset } = await import('@mnist-cnn/mnist-data/node');
  const run = runs[name];
  const backend = await initBackend(values.backend);
  let dataset;
  try {
    dataset = await loadDataset({ dataset: run.dataset });
  } catch (error) {
    return { name, skipped: `${run.dataset} not available (${error.code ?? error.message})` };
  }
  const recipe = getRecipe(run.recipe);
  const started = performance.now();
  const result = await train({
    ...recipe,
    ...(run.epochs ? { epochs: run.epochs } : {}),
    ...overrides(),
    train: dataset.train,
    seed: Number(values.seed),
    workers: Number(values.workers),
    onEvent: (event) => {
      if (event.type !== 'epoch') return;
      process.stderr.write(
        `${name} epoch ${event.epoch}/${event.epochs}  loss ${event.loss.toFixed(4)}  ` +
          `accuracy ${(event.accuracy * 100).toFixed(2)}%  lr ${event.learningRate.toExponential(2)}  ` +
          `${event.imagesPerSecond.toFixed(0)} img/s  ${(event.durationMs / 1000).toFixed(0)} s\n`,
      );
    },
    ...(values.limit ? { limit: Number(values.limit) } : {}),
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const report = evaluate(result.model, dataset.test);
  return {
    name,
    dataset: run.dataset,
    backend: `${backend.backend}${backend.simd ? '+simd' : ''}`,
    workers: Number(values.workers),
    epochs: result.epochsCompleted,
    trainImages: result.trainCount,
    testAccuracy: report.accuracy,
    testLoss: report.loss,
    trainSeconds,
    imagesPerSecond: result.imagesPerSecond,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

function overrides() {
  return {
    ...(values['batch-size'] ? { batchSize: Number(values['batch-size']) } : {}),
    ...(values.lr ? { learningRate: Number(values.lr) } : {}),
    ...(values.schedule ? { schedule: values.schedule } : {}),
    ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
    ...(values.augment ? { augment: true } : {}),
  };
}

/** Runs one bench child with stderr passed through (its per-epoch lines) and returns its stdout. */
function runChild(args, name) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${name} failed with exit code ${code}`)),
    );
  });
}

if (values.child) {
  console.log(JSON.stringify(await child(values.child)));
} else {
  const script = fileURLToPath(import.meta.url);
  const changed = JSON.stringify(overrides());
  console.log(
    `accuracy bench on ${values.backend}${values.limit ? `, first ${values.limit} training images` : ''}` +
      `${changed === '{}' ? '' : `, recipe overrides ${changed}`}`,
  );
  for (const name of values.runs.split(',')) {
    if (!runs[name]) throw new Error(`unknown run ${name}; expected ${Object.keys(runs).join(', ')}`);
    const args = [
      script,
      '--child',
      name,
      '--backend',
      values.backend,
      '--seed',
      values.seed,
      '--workers',
      values.workers,
    ];
    if (values.limit) args.push('--limit', values.limit);
    for (const flag of ['batch-size', 'lr', 'schedule', 'epochs'])
      if (values[flag]) args.push(`--${flag}`, values[flag]);
    if (values.augment) args.push('--augment');
    const stdout = await runChild(args, name);
    const figures = JSON.parse(stdout.trim().split('\n').at(-1));
    if (figures.skipped) {
      console.log(`${name.padEnd(13)} skipped: ${figures.skipped}`);
      continue;
    }
    console.log(
      `${name.padEnd(13)} ${figures.backend.padEnd(10)} ${figures.workers} worker(s)  epochs ${figures.epochs}  ` +
        `test accuracy ${(figures.testAccuracy * 100).toFixed(2)}%  loss ${figures.testLoss.toFixed(4)}  ` +
        `train ${figures.trainSeconds.toFixed(0)} s  ${figures.imagesPerSecond.toFixed(0)} img/s  ` +
        `peak RSS ${figures.peakRssMB.toFixed(0)} MB`,
    );
  }
}
