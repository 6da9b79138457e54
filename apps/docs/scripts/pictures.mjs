// The site's pictures that show the project working, made at build time so they always show what the code does today:
// a grid of MNIST test digits with the committed demo model's predictions, and the HTML report the CLI writes for a
// short seeded training run. Made at build time rather than committed: the report's curves then follow the trainer as
// it changes, and nothing generated sits in git.
import { execFile } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function writeAtomically(path, text) {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

const cell = 64; // px per digit in the grid, label included
const digitSide = 48;

/**
 * Classifies the first `count` MNIST test digits with the demo model and draws them as an SVG grid: each digit with
 * the predicted label beneath, green when it matches the true label, red (with the true label) when it does not.
 */
export async function writePredictionGrid({ modelDir, target, columns = 6, rows = 6 }) {
  const { pngDataUrl } = await import('@mnist-cnn/cli');
  const { loadModel } = await import('@mnist-cnn/cnn-model/node');
  const { imageAt, sliceSplit } = await import('@mnist-cnn/mnist-data');
  const { loadDataset } = await import('@mnist-cnn/mnist-data/node');
  const { initBackend, predictImages } = await import('@mnist-cnn/trainer/node');
  await initBackend('cpu');
  const count = columns * rows;
  const test = sliceSplit((await loadDataset()).test, 0, count);
  const model = await loadModel(modelDir);
  const probabilities = predictImages(model, test.images, count);
  model.dispose();
  const parts = [];
  let correct = 0;
  for (let i = 0; i < count; i++) {
    const row = probabilities.subarray(i * 10, i * 10 + 10);
    const predicted = row.indexOf(Math.max(...row));
    const label = test.labels[i];
    if (predicted === label) correct++;
    const x = (i % columns) * cell + (cell - digitSide) / 2;
    const y = Math.floor(i / columns) * cell + 2;
    const image = pngDataUrl(imageAt(test, i), test.cols, test.rows);
    const colour = predicted === label ? '#4ac26b' : '#ff7b72';
    const text = predicted === label ? String(predicted) : `${predicted} (${label})`;
    parts.push(
      `<image x="${x}" y="${y}" width="${digitSide}" height="${digitSide}" href="${image}"/>`,
      `<text x="${x + digitSide / 2}" y="${y + digitSide + 12}" fill="${colour}" data-label="${label}" data-predicted="${predicted}">${text}</text>`,
    );
  }
  const width = columns * cell;
  const height = rows * cell + 4;
  const title = `The first ${count} MNIST test digits and the demo model's predictions: ${correct} of ${count} right`;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`,
    `<title>${title}</title>`,
    '<style>text{font:600 12px system-ui,sans-serif;text-anchor:middle}</style>',
    `<rect width="${width}" height="${height}" rx="8" fill="#111"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
  await writeAtomically(target, `${svg}\n`);
  return { count, correct };
}

/**
 * The command the sample report page shows; it is exactly what runs here (from the docs folder): a short seeded run
 * on the first 2,000 training images (a tenth held out for the validation curves), evaluated on all 10,000 test
 * images. One worker and a fixed seed make it the same run every build; it takes about 15 s on 2 cores.
 */
export const sampleReportCommand =
  'mnist-cnn train --limit 2000 --validation-split 0.1 --epochs 5 --seed 1 --workers 1 --backend wasm --no-save --report public/generated/sample-report.html';

/** Runs the built CLI to train that model and write its HTML report: curves, confusion heat map, misclassified digits. */
export async function writeSampleReport({ cliBin, docsRoot }) {
  const [, ...args] = sampleReportCommand.split(' ');
  await mkdir(join(docsRoot, 'public', 'generated'), { recursive: true });
  await run(process.execPath, [cliBin, ...args, '--quiet'], { cwd: docsRoot, maxBuffer: 16 * 1024 * 1024 });
}
