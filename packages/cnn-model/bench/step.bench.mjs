// Step and inference timings on the BUILT package (run `pnpm build` first), and what each kernel of the backend's
// kernel table saves against the stock path (the same step with that kernel unregistered).
// Usage: node bench/step.bench.mjs [wasm|cpu ...] [--preset reference,best] [--steps N] [--batch N] [--no-record]
//   --preset  presets to time, comma-separated (default reference)
//   --steps   timed steps per variant (default 30 on wasm, 6 on cpu)
//   --batch   images per step (default 64); a data-parallel shard of batch 64 on 2 workers is 32
//   --no-record  print only; otherwise the per-kernel savings replace the `kernels` section of apps/docs/benchmarks.json
//                and the wasm reference step's time by kernel (tf.profile) the `stepTime` section
// Variants take turns step by step (all kernels, then the table without one kernel family, …), so a shared machine's
// drifting load falls on every variant alike; each kernel's saving is the median of its paired step-time differences.
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createModel, getPreset, registerKernels, unregisterKernels } from '@mnist-cnn/cnn-model';
import { enableRelaxedSimd } from '@mnist-cnn/cnn-model/node';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { recordFigures } from '../../../bench/figures.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const backends = args.filter((a) => a === 'cpu' || a === 'wasm');
const presetNames = option('preset', 'reference').split(',');
const batchSize = Number(option('batch', 64));
const require = createRequire(import.meta.url);
// Time the kernel build users run: the trainer's Node initBackend turns relaxed SIMD on for Node 20 the same way.
enableRelaxedSimd();
setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
// Each kernel family of the tables, measured alone; the optimizer update has no stock path in a training run.
const families = [
  ['MnistCnnConvForward'],
  ['MnistCnnConvGradient'],
  ['MnistCnnMaxPool', 'MnistCnnMaxPoolBackprop'],
  ['MnistCnnDenseForward', 'MnistCnnDenseGradient'],
];

/** Times one preset on one backend; returns each kernel family's saving as a row for the figures. */
async function bench(backend, presetName) {
  await tf.setBackend(backend);
  tf.enableProdMode();
  const table = registerKernels(backend);
  const steps = Number(option('steps', backend === 'cpu' ? 6 : 30));
  const model = createModel(getPreset(presetName), { seed: 1 });
  // tf.train's Adam, the same on every build, so the figures compare the layers' kernels only.
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([batchSize, 28, 28, 1], 0, 1, 'float32', 1);
  const labels = tf.tensor1d(
    Array.from({ length: batchSize }, (_, i) => i % 10),
    'int32',
  );
  const step = () => {
    const { loss, correct, gradients } = model.computeGradients(x, labels);
    optimizer.applyGradients(gradients);
    loss.dataSync();
    tf.dispose([loss, correct, ...Object.values(gradients)]);
  };
  const variants = [
    ['all kernels', []],
    ...families.filter((f) => f.every((k) => table.includes(k))).map((f) => [f.join(' + '), f]),
  ];
  const use = (removed) => {
    unregisterKernels(backend);
    registerKernels(backend);
    for (const name of removed) tf.unregisterKernel(name, backend);
  };
  for (const [, removed] of variants) {
    use(removed);
    step();
    step();
  }
  const loadBefore = load();
  const times = variants.map(() => []);
  for (let i = 0; i < steps; i++) {
    for (const [index, [, removed]] of variants.entries()) {
      use(removed);
      const start = performance.now();
      step();
      times[index].push(performance.now() - start);
    }
  }
  use([]);
  const inferenceBatch = tf.randomNormal([256, 28, 28, 1], 0, 1, 'float32', 2);
  const infer = () => model.predict(inferenceBatch).dataSync();
  infer();
  const inferTimes = [];
  for (let i = 0; i < (backend === 'cpu' ? 3 : 10); i++) {
    const start = performance.now();
    infer();
    inferTimes.push(performance.now() - start);
  }
  // Where a step's time goes: tf.profile times every kernel the step runs; summed by name over a few steps.
  const kernelMs = new Map();
  const profiledSteps = backend === 'cpu' ? 2 : 10;
  for (let i = 0; i < profiledSteps; i++) {
    const profile = await tf.profile(step);
    // tfjs also lists each custom-gradient op (named `…__op`) as a kernel timed around the kernels it runs: skipped,
    // so that no time counts twice.
    for (const kernel of profile.kernels.filter((k) => !k.name.endsWith('__op'))) {
      const ms = await kernel.kernelTimeMs;
      kernelMs.set(kernel.name, (kernelMs.get(kernel.name) ?? 0) + (typeof ms === 'number' ? ms : 0) / profiledSteps);
    }
  }
  const stepMs = median(times[0]);
  console.log(`\n${backend} · ${presetName} · batch ${batchSize} · forward + backward + tf.train Adam`);
  console.log(`  kernel table: ${table.join(', ')}`);
  console.log(
    `  load average (1/5/15 min) before timing: ${loadBefore}, after: ${load()} on ${os.cpus().length} cores`,
  );
  console.log(
    `  step: median ${stepMs.toFixed(1)} ms, min ${Math.min(...times[0]).toFixed(1)} ms over ${steps} steps → ${((batchSize * 1000) / stepMs).toFixed(0)} img/s`,
  );
  console.log(
    `  inference batch 256: median ${median(inferTimes).toFixed(1)} ms → ${(256000 / median(inferTimes)).toFixed(0)} img/s`,
  );
  console.log('  each kernel against the stock path (step medians; saved: median paired difference, % of a step):');
  console.log(`    ${'kernel'.padEnd(46)} ${'stock'.padStart(9)} ${'kernel'.padStart(9)} ${'saved'.padStart(9)}`);
  const rows = [];
  for (const [index, [label]] of variants.entries()) {
    if (index === 0) continue;
    const saved = median(times[index].map((t, i) => t - times[0][i]));
    const share = (100 * saved) / stepMs;
    const ms = (value) => `${value.toFixed(1).padStart(6)} ms`;
    console.log(
      `    ${label.padEnd(46)} ${ms(median(times[index]))} ${ms(stepMs)} ${ms(saved)} ${share.toFixed(1).padStart(5)}%`,
    );
    rows.push({
      name: `${backend} · ${presetName} · ${label.replaceAll('MnistCnn', '')}`,
      values: [Number(share.toFixed(1))],
    });
  }
  const byTime = [...kernelMs].sort((a, b) => b[1] - a[1]);
  const shown = byTime.slice(0, 9);
  const rest = byTime.slice(9).reduce((sum, [, ms]) => sum + ms, 0);
  console.log(`  where a step's time goes (tf.profile, mean of ${profiledSteps} steps):`);
  const stepTimeRows = [...shown, [`${byTime.length - shown.length} other kernels`, rest]].map(([name, ms]) => {
    console.log(`    ${name.padEnd(46)} ${ms.toFixed(2).padStart(7)} ms`);
    return { name: name.replaceAll('MnistCnn', ''), values: [Number(ms.toFixed(2))] };
  });
  tf.dispose([x, labels, inferenceBatch]);
  optimizer.dispose();
  model.dispose();
  return { rows, stepTimeRows };
}

const rows = [];
let stepTime;
for (const backend of backends.length ? backends : ['wasm', 'cpu']) {
  for (const presetName of presetNames) {
    const result = await bench(backend, presetName);
    rows.push(...result.rows);
    if (backend === 'wasm' && presetName === 'reference') stepTime = result.stepTimeRows;
  }
}
if (!args.includes('--no-record')) {
  await recordFigures('kernels', {
    title: 'What each kernel of ours saves against the stock tfjs path (the same step with the kernel unregistered)',
    unit: `% of a training step (batch ${batchSize}, forward + backward + Adam), median of paired steps`,
    command: `node packages/cnn-model/bench/step.bench.mjs ${args.join(' ')}`.trim(),
    columns: ['saved, % of a step'],
    rows,
  });
  if (stepTime)
    await recordFigures('stepTime', {
      title:
        "Where a wasm training step's time goes, kernel by kernel (reference network, our kernel table registered)",
      unit: `ms per step (batch ${batchSize}, forward + backward + Adam), tf.profile, mean of 10 steps`,
      command: `node packages/cnn-model/bench/step.bench.mjs ${args.join(' ')}`.trim(),
      columns: ['ms per step'],
      rows: stepTime,
    });
  console.log(`\nrecorded in apps/docs/benchmarks.json (kernels${stepTime ? ', stepTime' : ''})`);
}
