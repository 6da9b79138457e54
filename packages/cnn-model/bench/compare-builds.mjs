// This checkout's training step against another checkout's (an older commit, built: `git worktree add DIR REV`, then
// `pnpm install && pnpm build` there), in alternating child processes, so both see the same minutes of a shared
// machine. Each child times steps of the reference preset with its build's whole kernel table and tf.train's Adam, in
// wall time and in the process's CPU time, which other processes' load disturbs far less on a busy machine.
// Usage: node bench/compare-builds.mjs OTHER_CHECKOUT [wasm|cpu] [--rounds N] [--steps N] [--batch N (default 64)]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

if (args[0] === '--child') {
  const [, checkout, backend, steps, batch] = args;
  const require = createRequire(path.join(checkout, 'packages/cnn-model/package.json'));
  const tf = await import(require.resolve('@tensorflow/tfjs-core'));
  await import(require.resolve('@tensorflow/tfjs-backend-cpu'));
  const { setWasmPaths } = await import(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  const { createModel, getPreset, registerKernels } = await import(
    path.join(checkout, 'packages/cnn-model/dist/index.js')
  );
  await tf.setBackend(backend);
  tf.enableProdMode();
  registerKernels(backend);
  const model = createModel(getPreset('reference'), { seed: 1 });
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([Number(batch), 28, 28, 1], 0, 1, 'float32', 1);
  const labels = tf.tensor1d(
    Array.from({ length: Number(batch) }, (_, i) => i % 10),
    'int32',
  );
  const [times, cpuTimes] = [[], []];
  for (let i = -2; i < Number(steps); i++) {
    const [start, cpuStart] = [performance.now(), process.cpuUsage()];
    const { loss, correct, gradients } = model.computeGradients(x, labels);
    optimizer.applyGradients(gradients);
    loss.dataSync();
    tf.dispose([loss, correct, ...Object.values(gradients)]);
    const cpu = process.cpuUsage(cpuStart);
    if (i < 0) continue;
    times.push(performance.now() - start);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
  console.log(JSON.stringify({ median: median(times), min: Math.min(...times), cpu: median(cpuTimes) }));
} else {
  const here = fileURLToPath(new URL('../../..', import.meta.url));
  const other = path.resolve(args[0] ?? '');
  const backend = args.includes('cpu') ? 'cpu' : 'wasm';
  const rounds = option('rounds', 5);
  const steps = option('steps', backend === 'cpu' ? 5 : 30);
  const batch = option('batch', 64);
  const script = fileURLToPath(import.meta.url);
  const builds = { other, this: here };
  const results = { other: [], this: [] };
  const cpuResults = { other: [], this: [] };
  console.log(`reference preset, batch ${batch}, ${backend}, ${steps} steps per child, ${rounds} rounds`);
  for (let round = 0; round < rounds; round++) {
    // Alternate which build goes first, so neither always runs in the other's wake.
    const order = round % 2 === 0 ? ['other', 'this'] : ['this', 'other'];
    const line = [];
    for (const name of order) {
      // The parent's Node flags (--experimental-wasm-relaxed-simd on Node 20) reach both children.
      const output = execFileSync(process.execPath, [
        ...process.execArgv,
        script,
        '--child',
        builds[name],
        backend,
        String(steps),
        String(batch),
      ]);
      const { median: stepMs, min, cpu } = JSON.parse(output.toString().trim().split('\n').pop());
      results[name].push(stepMs);
      cpuResults[name].push(cpu);
      line.push(`${name} ${stepMs.toFixed(1)} ms (min ${min.toFixed(1)}, CPU ${cpu.toFixed(1)})`);
    }
    console.log(`  round ${round + 1}: ${line.join(', ')}`);
  }
  const [mine, theirs] = [median(results.this), median(results.other)];
  console.log(`median of round medians: this ${mine.toFixed(1)} ms, other ${theirs.toFixed(1)} ms`);
  console.log(`this / other: ${(mine / theirs).toFixed(3)} (other: ${other})`);
  const [mineCpu, theirsCpu] = [median(cpuResults.this), median(cpuResults.other)];
  console.log(
    `CPU time per step, median of round medians: this ${mineCpu.toFixed(1)} ms, other ${theirsCpu.toFixed(1)} ms`,
  );
  console.log(`CPU time, this / other: ${(mineCpu / theirsCpu).toFixed(3)}`);
}
