// Step and inference timings on the BUILT package (run `pnpm build` first).
// Usage: node bench/step.bench.mjs [wasm|cpu ...] [--steps N] [--batch N] [--preset reference|best] [--fast | --compare]
//   --batch    images per step (default 64); a data-parallel shard of batch 64 on 2 workers is 32
//   --fast     register the package's fast kernels (registerFastKernels) before measuring
//   --compare  measure each backend without and then with the fast kernels
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {
  createModel,
  getPreset,
  registerKernels as registerFastKernels,
  unregisterKernels as unregisterFastKernels,
} from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const backends = args.filter((a) => a === 'cpu' || a === 'wasm');
const presetName = option('preset', 'reference');
const batchSize = Number(option('batch', 64));
const modes = args.includes('--compare') ? [false, true] : [args.includes('--fast')];
const require = createRequire(import.meta.url);
setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');

async function bench(backend, fast) {
  await tf.setBackend(backend);
  unregisterFastKernels(backend);
  const registered = fast ? registerFastKernels(backend) : [];
  const steps = Number(option('steps', backend === 'cpu' && !fast ? 5 : 20));
  const model = createModel(getPreset(presetName), { seed: 1 });
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
  for (let i = 0; i < 3; i++) step();
  const loadBefore = load();
  const times = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    step();
    times.push(performance.now() - start);
  }
  // Other processes share the CPU, so profile a few steps and keep each kernel's fastest total.
  const byKernel = new Map();
  let kernelCalls = 0;
  for (let run = 0; run < 5; run++) {
    const profile = await tf.profile(step);
    kernelCalls = profile.kernels.filter((k) => !k.name.endsWith('__op')).length;
    const totals = new Map();
    for (const k of profile.kernels) {
      if (k.name.endsWith('__op')) continue; // op wrappers repeat the time of the kernels they run
      totals.set(k.name, (totals.get(k.name) ?? 0) + k.kernelTimeMs);
    }
    for (const [name, ms] of totals) byKernel.set(name, Math.min(byKernel.get(name) ?? Number.POSITIVE_INFINITY, ms));
  }
  const kernels = [...byKernel].sort((a, b) => b[1] - a[1]);
  const kernelSum = kernels.reduce((sum, [, ms]) => sum + ms, 0);

  const inferenceBatch = tf.randomNormal([256, 28, 28, 1], 0, 1, 'float32', 2);
  const infer = () => model.predict(inferenceBatch).dataSync();
  infer();
  const inferTimes = [];
  for (let i = 0; i < (backend === 'cpu' && !fast ? 3 : 10); i++) {
    const start = performance.now();
    infer();
    inferTimes.push(performance.now() - start);
  }
  const stepMs = median(times);
  const fastLabel = fast ? `fast kernels ON (${registered.join(', ') || 'none for this backend'})` : 'fast kernels off';
  console.log(`\n${backend} · ${presetName} · batch ${batchSize} · forward+backward+Adam · ${fastLabel}`);
  console.log(
    `  load average (1/5/15 min) before timing: ${loadBefore}, after: ${load()} on ${os.cpus().length} cores`,
  );
  console.log(
    `  step: median ${stepMs.toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms over ${steps} steps → ${((batchSize * 1000) / stepMs).toFixed(0)} img/s`,
  );
  console.log(
    `  inference batch 256: median ${median(inferTimes).toFixed(1)} ms → ${(256000 / median(inferTimes)).toFixed(0)} img/s`,
  );
  console.log(
    `  tf.profile of one step (kernel ms summed by kernel, best of 5; ${kernelCalls} kernel calls, sum ${kernelSum.toFixed(1)} ms):`,
  );
  for (const [name, ms] of kernels.slice(0, 16)) console.log(`    ${name.padEnd(24)} ${ms.toFixed(2).padStart(8)}`);
  tf.dispose([x, labels, inferenceBatch]);
  optimizer.dispose();
  model.dispose();
  unregisterFastKernels(backend);
  return { backend, fast, stepMs, inference: 256000 / median(inferTimes) };
}

const results = [];
for (const backend of backends.length ? backends : ['wasm', 'cpu']) {
  for (const fast of modes) results.push(await bench(backend, fast));
}
console.log('\nsummary (ms/step median · img/s · inference img/s at batch 256):');
for (const r of results) {
  console.log(
    `  ${r.backend.padEnd(5)} fast ${r.fast ? 'on ' : 'off'}  ${r.stepMs.toFixed(1).padStart(7)} ms  ${((batchSize * 1000) / r.stepMs).toFixed(0).padStart(5)} img/s  ${r.inference.toFixed(0).padStart(6)} img/s`,
  );
}
