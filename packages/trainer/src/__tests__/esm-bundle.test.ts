import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

// A CLI bundled into one ESM file has no `__dirname`, which the wasm backend's Node build reads while starting.
describe('the Node entry inside a single-file ESM bundle', () => {
  it('starts the WASM backend from the installed binaries and computes with it', async () => {
    // The bundle must sit where module resolution finds the installed @tensorflow packages, as in a real install.
    const cache = join(packageDir, 'node_modules', '.cache');
    await mkdir(cache, { recursive: true });
    const workDir = await mkdtemp(join(cache, 'esm-bundle-'));
    try {
      await bundleAndRun(workDir);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });
});

async function bundleAndRun(workDir: string): Promise<void> {
  const entry = join(workDir, 'entry.mjs');
  await writeFile(
    entry,
    [
      `import { initBackend } from ${JSON.stringify(join(packageDir, 'src', 'node.ts'))};`,
      `import * as tf from '@tensorflow/tfjs-core';`,
      `const info = await initBackend('wasm');`,
      `console.log(JSON.stringify({ ...info, sum: tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0] }));`,
    ].join('\n'),
  );
  const outfile = join(workDir, 'bundle.mjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile,
    nodePaths: [join(packageDir, 'node_modules')],
    // The usual banner for ESM bundles of CommonJS code; `__dirname` is deliberately left undefined.
    banner: {
      js: "import { createRequire as bannerRequire } from 'node:module'; const require = bannerRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
  const { stdout } = await run(process.execPath, [outfile], { cwd: workDir });
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
  expect(report).toMatchObject({ backend: 'wasm', sum: 5 });
  expect(report.binary).toBe(report.simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm');
}
