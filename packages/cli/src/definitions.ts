import { recipes } from '@mnist-cnn/trainer';
import type { CommandDefinition, OptionTable } from './option-types.js';

/** The program name users type. */
export const programName = 'mnist-cnn';

/** Options every command accepts. */
export const globalOptions = {
  verbose: { kind: 'boolean', description: 'Print stack traces and extra detail when something fails.' },
  help: { kind: 'boolean', description: 'Show help for the command.' },
} as const satisfies OptionTable;

const backendOption = {
  backend: {
    kind: 'choice',
    choices: ['wasm', 'cpu', 'auto'],
    default: 'auto',
    description: 'TensorFlow.js backend; auto prefers wasm and falls back to cpu.',
  },
} as const satisfies OptionTable;

const workersOption = {
  workers: {
    kind: 'integer',
    valueName: 'n',
    min: 1,
    max: 256,
    defaultNote: 'the number of CPU cores, keeping at least 16 images per worker',
    description:
      'Worker threads that each compute gradients on a share of every batch (data-parallel training); at most 4× the CPU cores.',
  },
} as const satisfies OptionTable;

const dataOptions = {
  data: {
    kind: 'string',
    valueName: 'dir',
    description: 'Directory holding the IDX files (else MNIST_DATA_DIR, the bundled copy, the cache).',
  },
  dataset: {
    kind: 'choice',
    choices: ['mnist', 'fashion-mnist', 'kmnist'],
    default: 'mnist',
    description: 'Which dataset to load.',
  },
  download: { kind: 'boolean', description: 'Download the dataset from its mirrors when no local copy is found.' },
  mirror: {
    kind: 'string',
    valueName: 'url',
    description: 'Download from this base URL instead of the preset mirrors (also MNIST_MIRROR).',
  },
} as const satisfies OptionTable;

const jsonOption = {
  json: { kind: 'boolean', description: 'Print one JSON object per line instead of text.' },
} as const satisfies OptionTable;

const reportOption = {
  report: {
    kind: 'string',
    valueName: 'file',
    description: 'Write a self-contained HTML report with charts to this file.',
  },
} as const satisfies OptionTable;

const modelOption = {
  model: { kind: 'string', valueName: 'dir', default: './mnist-model', description: 'Directory of a saved model.' },
} as const satisfies OptionTable;

/** The architecture presets of @mnist-cnn/cnn-model (a unit test keeps this list in step with the library). */
export const presetNames = ['reference', 'best'] as const;

const presetOption = {
  preset: {
    kind: 'choice',
    choices: presetNames,
    default: 'reference',
    description: 'Model architecture: reference (the classic 2-conv net) or best (batch norm + dropout).',
  },
} as const satisfies OptionTable;

const batchSizeOption = {
  batchSize: { kind: 'integer', valueName: 'n', default: 64, min: 1, max: 65536, description: 'Images per batch.' },
} as const satisfies OptionTable;

/** `mnist-cnn train`. */
export const trainDefinition = {
  name: 'train',
  summary: 'Train a CNN on MNIST (or another dataset) and save it',
  description:
    'Trains a model, evaluates it on the test split and saves it to --out. A checkpoint is written after every epoch ' +
    'and on Ctrl-C; --resume continues from it.',
  args: [],
  options: {
    ...backendOption,
    ...presetOption,
    epochs: {
      kind: 'integer',
      valueName: 'n',
      defaultNote: `the preset's recipe (reference: ${recipes.reference.epochs})`,
      min: 1,
      max: 10000,
      description: 'Passes over the training images.',
    },
    batchSize: {
      kind: 'integer',
      valueName: 'n',
      min: 1,
      max: 65536,
      defaultNote: `the preset's recipe (reference: ${recipes.reference.batchSize})`,
      description: 'Images per batch.',
    },
    testBatchSize: {
      kind: 'integer',
      valueName: 'n',
      default: 256,
      min: 1,
      max: 65536,
      description: 'Images per forward pass when measuring the test split (memory use only).',
    },
    lr: {
      kind: 'number',
      valueName: 'rate',
      defaultNote: `the preset's recipe (reference: ${recipes.reference.learningRate})`,
      min: 0,
      max: 10,
      exclusiveMin: true,
      description: 'Base learning rate (schedules scale it).',
    },
    optimizer: {
      kind: 'choice',
      choices: ['adam', 'adamw', 'sgd', 'rmsprop'],
      defaultNote: "the preset's recipe (reference: adam)",
      description: 'Optimizer; adamw is Adam with decoupled weight decay.',
    },
    momentum: {
      kind: 'number',
      valueName: 'm',
      min: 0,
      max: 1,
      exclusiveMax: true,
      description: 'Momentum of --optimizer sgd or rmsprop (default 0: none).',
    },
    weightDecay: {
      kind: 'number',
      valueName: 'rate',
      min: 0,
      max: 1,
      description:
        'Weight decay: L2 on the gradient for --optimizer sgd (default 0), decoupled for adamw (default 0.01).',
    },
    schedule: {
      kind: 'choice',
      choices: ['constant', 'step', 'exponential', 'cosine', 'one-cycle', 'plateau'],
      valueName: 'name',
      defaultNote: "the preset's recipe (reference: one-cycle)",
      description:
        'Learning-rate schedule over the run; plateau cuts the rate tenfold after 2 epochs without a lower loss (the validation loss with --validation-split).',
    },
    seed: {
      kind: 'integer',
      valueName: 'n',
      default: 42,
      min: 0,
      max: 4294967295,
      description: 'Seed for weights and shuffling.',
    },
    ...workersOption,
    ...dataOptions,
    limit: { kind: 'integer', valueName: 'n', min: 1, description: 'Train on the first n training images only.' },
    validationSplit: {
      kind: 'number',
      valueName: 'fraction',
      default: 0,
      min: 0,
      max: 1,
      exclusiveMax: true,
      description: 'Fraction of the training images held out for validation.',
    },
    patience: {
      kind: 'integer',
      valueName: 'epochs',
      min: 1,
      max: 10000,
      description:
        'Stop early after this many epochs without improvement (of the validation loss with --validation-split, else the training loss).',
    },
    restoreBest: {
      kind: 'boolean',
      description: "With --patience: end with the best epoch's weights instead of the last epoch's.",
    },
    augment: {
      kind: 'boolean',
      defaultNote: "the preset's recipe (reference: on, ±2 px and ±10°)",
      description: 'Randomly shift and rotate training images.',
    },
    out: {
      kind: 'string',
      valueName: 'dir',
      default: './mnist-model',
      description: 'Directory the model is saved to.',
    },
    noSave: { kind: 'boolean', description: 'Write nothing to --out: neither the model nor checkpoints.' },
    resume: { kind: 'boolean', description: 'Continue from the checkpoint in --out.' },
    dryRun: {
      kind: 'boolean',
      description: 'Check the set-up: train on one batch, measure one test batch, save nothing.',
    },
    logInterval: {
      kind: 'integer',
      valueName: 'batches',
      min: 1,
      defaultNote: 'about 10 lines per epoch',
      description: 'Batches between progress lines when the output is not a terminal.',
    },
    quiet: { kind: 'boolean', description: 'Print only the result: no progress, no per-epoch lines.' },
    ...jsonOption,
    ...reportOption,
  },
  examples: [
    'mnist-cnn train',
    'mnist-cnn train --epochs 3 --backend wasm --out ./my-model',
    'mnist-cnn train --limit 2000 --epochs 1 --json',
    'mnist-cnn train --resume --out ./my-model',
    'mnist-cnn train --preset best --validation-split 0.1 --patience 3 --restore-best',
    'mnist-cnn train --dry-run',
  ],
} as const satisfies CommandDefinition;

/** `mnist-cnn evaluate`. */
export const evaluateDefinition = {
  name: 'evaluate',
  summary: 'Measure a saved model: accuracy, per-class metrics, confusion matrix',
  description:
    'Runs a saved model over a split on --workers threads and prints accuracy, precision/recall/F1 per class and the ' +
    'confusion matrix. With --json it prints one object: type "evaluation", model, dataset, split, backend, workers ' +
    '(threads used), durationMs, count, accuracy, loss, perClass, confusionMatrix, misclassifiedCount (and report).',
  args: [],
  options: {
    ...modelOption,
    ...backendOption,
    ...dataOptions,
    split: { kind: 'choice', choices: ['test', 'train'], default: 'test', description: 'Which split to evaluate on.' },
    limit: { kind: 'integer', valueName: 'n', min: 1, description: 'Evaluate the first n images only.' },
    batchSize: {
      kind: 'integer',
      valueName: 'n',
      default: 256,
      min: 1,
      max: 65536,
      description: 'Images per forward pass (memory use only).',
    },
    workers: {
      ...workersOption.workers,
      defaultNote: 'the number of CPU cores',
      description:
        'Worker threads that each predict whole batches (the figures do not depend on it); at most 4× the CPU cores.',
    },
    ...jsonOption,
    ...reportOption,
  },
  examples: [
    'mnist-cnn evaluate --model ./mnist-model',
    'mnist-cnn evaluate --json --report report.html',
    'mnist-cnn evaluate --workers 1',
  ],
} as const satisfies CommandDefinition;

/** `mnist-cnn predict`. */
export const predictDefinition = {
  name: 'predict',
  summary: 'Classify PNG, JPEG, PGM or IDX images with a saved model',
  description:
    'Reads images of any size and colour, turns each into a 28×28 MNIST-style digit (grayscale, light ink on dark, ' +
    'fitted into 20×20 and centred by centre of mass) and prints the predicted label and the top probabilities.',
  args: [
    {
      name: 'files',
      description: 'Image files (.png, .jpg, .pgm) or IDX image files.',
      required: true,
      variadic: true,
    },
  ],
  options: {
    ...modelOption,
    ...backendOption,
    top: {
      kind: 'integer',
      valueName: 'k',
      default: 3,
      min: 1,
      max: 10,
      description: 'How many probabilities to print.',
    },
    limit: { kind: 'integer', valueName: 'n', min: 1, description: 'Classify at most n images of each IDX file.' },
    ...jsonOption,
  },
  examples: ['mnist-cnn predict digit.png', 'mnist-cnn predict --model ./mnist-model a.jpg b.pgm --json'],
} as const satisfies CommandDefinition;

/** `mnist-cnn info`. */
export const infoDefinition = {
  name: 'info',
  summary: 'Show where the dataset comes from, its counts, label histogram and checksums',
  description: 'Loads the dataset the way train does and describes it: source, image counts and size, labels, SHA-256.',
  args: [],
  options: { ...dataOptions, ...jsonOption },
  examples: ['mnist-cnn info', 'mnist-cnn info --dataset fashion-mnist --download'],
} as const satisfies CommandDefinition;

/** `mnist-cnn show`. */
export const showDefinition = {
  name: 'show',
  summary: "Draw digits from a split in the terminal, optionally with a model's predictions",
  description:
    'Renders images with Unicode half blocks (in grey levels on a colour terminal); with --json, prints each image as a ' +
    'JSON line with its label, pixels and the prediction.',
  args: [],
  options: {
    ...dataOptions,
    split: { kind: 'choice', choices: ['test', 'train'], default: 'test', description: 'Which split to draw from.' },
    index: { kind: 'integer', valueName: 'i', default: 0, min: 0, description: 'Index of the first image.' },
    count: { kind: 'integer', valueName: 'n', default: 1, min: 1, max: 1000, description: 'How many images to draw.' },
    model: {
      kind: 'string',
      valueName: 'dir',
      description: "Also print this saved model's prediction beside each digit.",
    },
    ...backendOption,
    ...jsonOption,
  },
  examples: [
    'mnist-cnn show --index 7 --count 3',
    'mnist-cnn show --model ./mnist-model --count 5',
    'mnist-cnn show --count 2 --json',
  ],
} as const satisfies CommandDefinition;

/** `mnist-cnn bench`. */
export const benchDefinition = {
  name: 'bench',
  summary: 'Measure training and inference throughput (images/s)',
  description:
    'Times a few training steps and a batched inference pass on the chosen backend and batch size, both on --workers threads.',
  args: [],
  options: {
    ...backendOption,
    ...presetOption,
    ...batchSizeOption,
    workers: {
      ...workersOption.workers,
      defaultNote: 'the number of CPU cores (training keeps at least 16 images per worker)',
      description:
        'Worker threads for training (a share of every batch each) and for inference (whole batches each); at most 4× the CPU cores.',
    },
    steps: {
      kind: 'integer',
      valueName: 'n',
      default: 20,
      min: 1,
      max: 100000,
      description: 'Training batches to time.',
    },
    warmup: {
      kind: 'integer',
      valueName: 'n',
      default: 200,
      min: 1,
      max: 100000,
      description:
        'Training batches run before timing starts. A new process keeps speeding up for its first ~200 batches, so fewer understate steady-state speed; a training split too small for the warm-up and --steps shortens it.',
    },
    augment: {
      kind: 'boolean',
      defaultNote: "the preset's recipe",
      description: 'Randomly shift and rotate the training images (--no-augment times the training step alone).',
    },
    inferenceImages: {
      kind: 'integer',
      valueName: 'n',
      default: 2048,
      min: 1,
      max: 1000000,
      description: 'Images classified for the inference figure.',
    },
    ...dataOptions,
    ...jsonOption,
  },
  examples: ['mnist-cnn bench', 'mnist-cnn bench --backend cpu --batch-size 128 --json'],
} as const satisfies CommandDefinition;

/** Every command, in the order help lists them. */
export const commandDefinitions: readonly CommandDefinition[] = [
  trainDefinition,
  evaluateDefinition,
  predictDefinition,
  infoDefinition,
  showDefinition,
  benchDefinition,
];
