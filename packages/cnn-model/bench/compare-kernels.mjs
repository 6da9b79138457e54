// The reference net's conv2 products (batch 64, wasm) by this checkout's kernel table and by another checkout's
// (built, as for compare-builds.mjs), in one process, taking turns call by call, so both see the same moments of a
// shared machine: a kernel's time against the same kernel of the other build, where a whole step is too noisy.
// Usage: node bench/compare-kernels.mjs OTHER_CHECKOUT [--calls N]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const calls = Number(args[args.indexOf('--calls') + 1] || 30);
const here = fileURLToPath(new URL('../../..', import.meta.url));
const other = path.resolve(args[0] ?? '');
const require = createRequire(path.join(here, 'packages/cnn-model/package.json'));
const tf = await import(require.resolve('@tensorflow/tfjs-core'));
const { setWasmPaths } = await import(require.resolve('@tensorflow/tfjs-backend-wasm'));
setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
await tf.setBackend('wasm');
tf.enableProdMode();
// Both builds must see this one tfjs-core: the other checkout's dist resolves it through its own node_modules.
const builds = {
  other: await import(path.join(other, 'packages/cnn-model/dist/index.js')),
  this: await import(path.join(here, 'packages/cnn-model/dist/index.js')),
};

const [n, size, c, oc] = [64, 13, 32, 64];
const x = tf.randomNormal([n, size, size, c], 0, 1, 'float32', 1);
const filter = tf.randomNormal([3, 3, c, oc], 0, 0.1, 'float32', 2);
const bias = tf.randomNormal([oc], 0, 0.1, 'float32', 3);
const dy = tf.randomNormal([n, size - 2, size - 2, oc], 0, 1, 'float32', 4);
const filterRows = tf.transpose(tf.reshape(filter, [9 * c, oc]));
const macs = n * (size - 2) ** 2 * 9 * c * oc;
const products = {
  MnistCnnConvForward: [
    { x, filter, bias },
    { strides: [1, 1], relu: true },
  ],
  MnistCnnConvGradient: [
    { x, dy, filterRows },
    { kernel: [3, 3], strides: [1, 1] },
  ],
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`conv2 of the reference net: x [${x.shape}], filter [${filter.shape}], wasm, ${calls} calls each`);
for (const [name, [inputs, attrs]] of Object.entries(products)) {
  // Where the other build has no such kernel, this build's would run in both turns.
  if (!builds.other.registerKernels('wasm').includes(name)) {
    console.log(`  ${name.replace('MnistCnn', '')}: not in the other build's kernel table`);
    continue;
  }
  const times = { other: [], this: [] };
  for (let call = -2; call < calls; call++) {
    for (const build of call % 2 === 0 ? ['other', 'this'] : ['this', 'other']) {
      builds[build].unregisterKernels('wasm');
      builds[build].registerKernels('wasm');
      const start = performance.now();
      tf.dispose(tf.engine().runKernel(name, inputs, attrs));
      if (call >= 0) times[build].push(performance.now() - start);
    }
  }
  const line = (build) => {
    const ms = median(times[build]);
    return `${build} ${ms.toFixed(2)} ms, min ${Math.min(...times[build]).toFixed(2)} (${(macs / ms / 1e6).toFixed(1)} GMAC/s)`;
  };
  // The ratio of each call pair's times, the median of those: load that drifts between pairs cancels out.
  const ratio = median(times.this.map((ms, call) => ms / times.other[call]));
  console.log(
    `  ${name.replace('MnistCnn', '').padEnd(19)} ${line('other')}, ${line('this')}, this/other ${ratio.toFixed(3)}`,
  );
}
