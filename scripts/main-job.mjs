// The README's main job until the CLI lands: load the embedded MNIST and print what was found.
import { loadDataset } from '@mnist-cnn/mnist-data/node';

const dataset = await loadDataset();
const histogram = new Array(10).fill(0);
for (const label of dataset.train.labels) histogram[label]++;
console.log(`MNIST from ${dataset.source.kind} (${dataset.source.path})`);
console.log(
  `train: ${dataset.train.count} images ${dataset.train.rows}×${dataset.train.cols}, test: ${dataset.test.count}`,
);
console.log(`train labels: ${histogram.map((n, digit) => `${digit}:${n}`).join(' ')}`);
