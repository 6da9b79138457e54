import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fixedRandom, useBackend } from '../__tests__/backends.js';
import { optimizerUpdate } from './optimizer-update.js';
import { registerKernels, unregisterKernels } from './tables.js';

// Where the kernels cannot run, optimizerUpdate runs the same rules in tfjs ops. Both paths must give the same bits,
// so that a run resumed on an engine without SIMD continues exactly. Seven values: a whole vector and a tail of three.
const f = Math.fround;
const cases: [rule: string, slots: number, scalars: number[]][] = [
  ['adam', 2, [0.9, 0.1, 0.999, 0.001, 0.271, 0.00299, 1e-7, -0.01].map(f)],
  ['sgd', 0, [f(-0.05)]],
  ['momentum', 1, [f(-0.05), f(0.9), 0]],
  ['momentum', 1, [f(-0.05), f(0.9), 1]], // Nesterov
  ['rmsprop', 2, [0.9, 0.1, 0.5, 1e-7, 0.01, 0].map(f)],
  ['rmsprop', 3, [0.9, 0.1, 0.5, 1e-7, 0.01, 1].map(f)], // centered
];

async function update(backend: 'cpu' | 'wasm', withKernel: boolean, [rule, slotCount, scalars]: (typeof cases)[0]) {
  await useBackend(backend);
  if (withKernel) expect(registerKernels()).toContain('MnistCnnOptimizerUpdate');
  else unregisterKernels();
  const weights = tf.tensor(fixedRandom(7, 1));
  const gradient = tf.tensor(fixedRandom(7, 2));
  // Slots as a rule keeps them: mean squares stay above the squared mean gradient.
  const slots = Array.from({ length: slotCount }, (_, k) => tf.tensor(fixedRandom(7, 3 + k).map((x) => 2 - k + x)));
  const results = optimizerUpdate(rule, weights, gradient, slots, scalars);
  const values = results.map((result) => Array.from(result.dataSync()));
  tf.dispose([weights, gradient, ...slots, ...results]);
  return values;
}

describe.each(['cpu', 'wasm'] as const)("the optimizer update's stock path (%s)", (backend) => {
  it.each(cases)("gives the kernel's bits for %s with %i slots (case %#)", async (...testCase) => {
    const stock = await update(backend, false, testCase);
    const kernel = await update(backend, true, testCase);
    expect(stock).toHaveLength(testCase[1] + 1);
    expect(stock).toEqual(kernel);
    expect(stock[0]).not.toEqual(Array.from(fixedRandom(7, 1)));
  });
});
