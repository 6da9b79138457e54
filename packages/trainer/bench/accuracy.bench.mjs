// Accuracy bench: trains the recipes on the full MNIST training set and prints test accuracy, time, images/s and
// peak RSS. Each run is its own child process so that its peak RSS is its own. Takes minutes per epoch on 2 cores.
//
//   pnpm --filter @mnist-cnn/trainer bench                       # reference 1 epoch, reference 3 epochs
//   pnpm --filter @mnist-cnn/trainer bench -- --runs best,best-fashion --backend wasm
//   pnpm --filter @mnist-cnn/trainer bench -- --limit 2000       # quick smoke run on a subset
import { execFile } from 'node:child_process';
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
    ...(values.limit ? { limit: Number(values.limit) } : {}),
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const report = evaluate(result.model, dataset.test);
  return {
    name,
    dataset: run.dataset,
    backend: `${backend.backend}${backend.simd ? '+simd' : ''}`,
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
    const args = [script, '--child', name, '--backend', values.backend, '--seed', values.seed];
    if (values.limit) args.push('--limit', values.limit);
    for (const flag of ['batch-size', 'lr', 'schedule', 'epochs'])
      if (values[flag]) args.push(`--${flag}`, values[flag]);
    const { stdout } = await new Promise((resolve, reject) =>
      execFile(process.execPath, args, { maxBuffer: 1 << 24 }, (error, out, err) =>
        error ? reject(new Error(`${name} failed: ${err || error.message}`)) : resolve({ stdout: out }),
      ),
    );
    const figures = JSON.parse(stdout.trim().split('\n').at(-1));
    if (figures.skipped) {
      console.log(`${name.padEnd(13)} skipped: ${figures.skipped}`);
      continue;
    }
    console.log(
      `${name.padEnd(13)} ${figures.backend.padEnd(10)} epochs ${figures.epochs}  ` +
        `test accuracy ${(figures.testAccuracy * 100).toFixed(2)}%  loss ${figures.testLoss.toFixed(4)}  ` +
        `train ${figures.trainSeconds.toFixed(0)} s  ${figures.imagesPerSecond.toFixed(0)} img/s  ` +
        `peak RSS ${figures.peakRssMB.toFixed(0)} MB`,
    );
  }
}
