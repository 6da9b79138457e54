import { ModelSpecError } from './errors.js';

/** Activation applied by a conv2d or dense layer; the last dense layer must be `linear` (it yields logits). */
export type Activation = 'relu' | 'linear';

/** A 2-D convolution over NHWC input with a [kh, kw, inChannels, filters] kernel. */
export type Conv2dLayerSpec = {
  type: 'conv2d';
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  activation?: Activation;
  useBias?: boolean;
  name?: string;
};

/** Non-overlapping max pooling (stride = pool size, `valid` padding). */
export type MaxPool2dLayerSpec = { type: 'maxPool2d'; poolSize: number | [number, number]; name?: string };

/** Batch normalization over the last (channel) axis. */
export type BatchNormLayerSpec = { type: 'batchNorm'; momentum?: number; epsilon?: number; name?: string };

/** Inverted dropout, active only in training. */
export type DropoutLayerSpec = { type: 'dropout'; rate: number; name?: string };

/** A ReLU on its own (conv and dense layers take `activation: 'relu'` instead). */
export type ReluLayerSpec = { type: 'relu'; name?: string };

/** Row-major (H, W, C) flatten, the same order as Keras `Flatten` with channels_last. */
export type FlattenLayerSpec = { type: 'flatten'; name?: string };

/** A fully connected layer. */
export type DenseLayerSpec = {
  type: 'dense';
  units: number;
  activation?: Activation;
  useBias?: boolean;
  name?: string;
};

/** One layer of a {@link ModelSpec}. */
export type LayerSpec =
  | Conv2dLayerSpec
  | MaxPool2dLayerSpec
  | BatchNormLayerSpec
  | DropoutLayerSpec
  | ReluLayerSpec
  | FlattenLayerSpec
  | DenseLayerSpec;

/** A JSON-serializable network: NHWC input shape, layers top to bottom, input normalization, optional class names. */
export type ModelSpec = {
  name: string;
  inputShape: [number, number, number];
  layers: LayerSpec[];
  normalization: { mean: number; std: number };
  classNames?: string[];
};

/** The layer types a spec may use. */
const layerTypes = ['conv2d', 'maxPool2d', 'batchNorm', 'dropout', 'relu', 'flatten', 'dense'] as const;

/** A weight a layer owns, before any tensor exists. */
export type WeightPlan = {
  /** Keras-style name, e.g. `conv2d_1/kernel`; also the key in `getWeights()` and in model.json's weights manifest. */
  name: string;
  shape: number[];
  trainable: boolean;
};

/** A validated layer with its resolved name and shapes (per sample, without the batch axis). */
export type LayerPlan = {
  spec: LayerSpec;
  name: string;
  inputShape: number[];
  outputShape: number[];
  weights: WeightPlan[];
};

const kerasBaseNames: Record<LayerSpec['type'], string> = {
  conv2d: 'conv2d',
  maxPool2d: 'max_pooling2d',
  batchNorm: 'batch_normalization',
  dropout: 'dropout',
  relu: 're_lu',
  flatten: 'flatten',
  dense: 'dense',
};

function fail(message: string): never {
  throw new ModelSpecError('INVALID_LAYER', message);
}

/** How many values a tensor of this shape holds. */
export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Reads `n` or `[a, b]` as a pair of positive integers. */
export function pair(value: number | [number, number] | undefined, fallback: number, what: string): [number, number] {
  const resolved = value ?? fallback;
  const result: [number, number] = typeof resolved === 'number' ? [resolved, resolved] : [resolved[0], resolved[1]];
  if (!Array.isArray(resolved) && typeof resolved !== 'number') fail(`${what} must be a number or [number, number]`);
  if (!isPositiveInt(result[0]) || !isPositiveInt(result[1]))
    fail(`${what} must be positive integers, got ${JSON.stringify(value)}`);
  return result;
}

/** Output size and leading padding along one spatial axis, TensorFlow's `valid`/`same` convention. */
export function convAxis(size: number, kernel: number, stride: number, padding: 'valid' | 'same') {
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + kernel - size, 0);
    return { out, padBefore: Math.floor(total / 2), padAfter: total - Math.floor(total / 2) };
  }
  return { out: Math.floor((size - kernel) / stride) + 1, padBefore: 0, padAfter: 0 };
}

function checkActivation(activation: unknown, where: string): void {
  if (activation !== undefined && activation !== 'relu' && activation !== 'linear') {
    fail(`${where}: activation must be 'relu' or 'linear', got ${JSON.stringify(activation)}`);
  }
}

function planLayer(spec: LayerSpec, name: string, input: number[], where: string): LayerPlan {
  const plan = (outputShape: number[], weights: WeightPlan[] = []): LayerPlan => ({
    spec,
    name,
    inputShape: input,
    outputShape,
    weights,
  });
  const spatial = (): [number, number, number] => {
    if (input.length !== 3) throw new ModelSpecError('INVALID_SHAPE', `${where} needs [h, w, c] input, got [${input}]`);
    return input as [number, number, number];
  };
  switch (spec.type) {
    case 'conv2d': {
      const [h, w, c] = spatial();
      if (!isPositiveInt(spec.filters)) fail(`${where}: filters must be a positive integer`);
      const [kh, kw] = pair(spec.kernelSize, 0, `${where}: kernelSize`);
      const [sh, sw] = pair(spec.strides, 1, `${where}: strides`);
      const padding = spec.padding ?? 'valid';
      if (padding !== 'valid' && padding !== 'same') fail(`${where}: padding must be 'valid' or 'same'`);
      checkActivation(spec.activation, where);
      const oh = convAxis(h, kh, sh, padding).out;
      const ow = convAxis(w, kw, sw, padding).out;
      if (oh < 1 || ow < 1)
        throw new ModelSpecError('INVALID_SHAPE', `${where}: kernel ${kh}x${kw} is larger than input ${h}x${w}`);
      const weights: WeightPlan[] = [{ name: `${name}/kernel`, shape: [kh, kw, c, spec.filters], trainable: true }];
      if (spec.useBias !== false) weights.push({ name: `${name}/bias`, shape: [spec.filters], trainable: true });
      return plan([oh, ow, spec.filters], weights);
    }
    case 'maxPool2d': {
      const [h, w, c] = spatial();
      const [ph, pw] = pair(spec.poolSize, 0, `${where}: poolSize`);
      if (ph > h || pw > w)
        throw new ModelSpecError('INVALID_SHAPE', `${where}: pool ${ph}x${pw} is larger than input ${h}x${w}`);
      return plan([Math.floor(h / ph), Math.floor(w / pw), c]);
    }
    case 'batchNorm': {
      const channels = input[input.length - 1] ?? 0;
      const momentum = spec.momentum ?? 0.99;
      const epsilon = spec.epsilon ?? 1e-3;
      if (!(momentum >= 0 && momentum < 1)) fail(`${where}: momentum must be in [0, 1)`);
      if (!(epsilon > 0)) fail(`${where}: epsilon must be > 0`);
      return plan(input, [
        { name: `${name}/gamma`, shape: [channels], trainable: true },
        { name: `${name}/beta`, shape: [channels], trainable: true },
        { name: `${name}/moving_mean`, shape: [channels], trainable: false },
        { name: `${name}/moving_variance`, shape: [channels], trainable: false },
      ]);
    }
    case 'dropout':
      if (!(typeof spec.rate === 'number' && spec.rate >= 0 && spec.rate < 1)) fail(`${where}: rate must be in [0, 1)`);
      return plan(input);
    case 'relu':
      return plan(input);
    case 'flatten':
      return plan([sizeOf(input)]);
    case 'dense': {
      if (input.length !== 1)
        throw new ModelSpecError('INVALID_SHAPE', `${where} needs flat input; add a flatten layer before it`);
      if (!isPositiveInt(spec.units)) fail(`${where}: units must be a positive integer`);
      checkActivation(spec.activation, where);
      const weights: WeightPlan[] = [{ name: `${name}/kernel`, shape: [input[0] ?? 0, spec.units], trainable: true }];
      if (spec.useBias !== false) weights.push({ name: `${name}/bias`, shape: [spec.units], trainable: true });
      return plan([spec.units], weights);
    }
    default:
      throw new ModelSpecError(
        'UNKNOWN_LAYER_TYPE',
        `${where}: unknown layer type ${JSON.stringify((spec as { type?: unknown }).type)}; expected one of ${layerTypes.join(', ')}`,
      );
  }
}

/** Most weights (trainable and moving statistics) a model may have: 128 MB of float32, far above any MNIST network. */
export const maxParameters = 32 * 1024 * 1024;

/** How many values a layer's weights hold, trainable or not. */
export const weightCount = (layer: LayerPlan) => layer.weights.reduce((sum, w) => sum + sizeOf(w.shape), 0);

/** Refuses a spec whose weights alone would take more than {@link maxParameters} floats, before any is allocated. */
function checkParameterBudget(plans: readonly LayerPlan[]): void {
  const parameters = plans.reduce((sum, layer) => sum + weightCount(layer), 0);
  if (parameters <= maxParameters) return;
  const largest = plans.reduce((a, b) => (weightCount(b) > weightCount(a) ? b : a));
  throw new ModelSpecError(
    'OVER_BUDGET',
    `the model has ${parameters} parameters, more than the ${maxParameters} accepted (largest layer: ${largest.name})`,
  );
}

/** Validates a spec and resolves every layer's name, shapes and weights; throws {@link ModelSpecError}. */
export function planModel(spec: ModelSpec): LayerPlan[] {
  if (typeof spec !== 'object' || spec === null) throw new ModelSpecError('INVALID_SPEC', 'spec must be an object');
  if (typeof spec.name !== 'string' || spec.name === '')
    throw new ModelSpecError('INVALID_SPEC', 'spec.name must be a non-empty string');
  const shape = spec.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(isPositiveInt)) {
    throw new ModelSpecError(
      'INVALID_SPEC',
      `spec.inputShape must be [height, width, channels], got ${JSON.stringify(shape)}`,
    );
  }
  const norm = spec.normalization;
  if (typeof norm !== 'object' || norm === null || !Number.isFinite(norm.mean) || !(norm.std > 0)) {
    throw new ModelSpecError('INVALID_SPEC', 'spec.normalization must be { mean: finite number, std: number > 0 }');
  }
  if (!Array.isArray(spec.layers) || spec.layers.length === 0)
    throw new ModelSpecError('INVALID_SPEC', 'spec.layers must be a non-empty array');
  const counts = new Map<string, number>();
  const names = new Set<string>();
  let current: number[] = [...shape];
  const plans = spec.layers.map((layer, index) => {
    const where = `layer ${index} (${(layer as { type?: unknown })?.type ?? '?'})`;
    if (typeof layer !== 'object' || layer === null)
      throw new ModelSpecError('INVALID_SPEC', `${where} must be an object`);
    const base = kerasBaseNames[layer.type] ?? 'layer';
    const count = (counts.get(base) ?? 0) + 1;
    counts.set(base, count);
    const name = layer.name ?? `${base}_${count}`;
    if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name))
      fail(`${where}: name ${JSON.stringify(name)} must match [A-Za-z][A-Za-z0-9_.-]*`);
    if (names.has(name)) fail(`${where}: duplicate layer name ${JSON.stringify(name)}`);
    names.add(name);
    const plan = planLayer(layer, name, current, where);
    current = plan.outputShape;
    return plan;
  });
  const last = plans[plans.length - 1]!;
  if (last.spec.type !== 'dense' || (last.spec.activation ?? 'linear') !== 'linear') {
    throw new ModelSpecError(
      'INVALID_SPEC',
      'the last layer must be a dense layer with linear activation (its outputs are the logits)',
    );
  }
  if (spec.classNames !== undefined) {
    const ok = Array.isArray(spec.classNames) && spec.classNames.every((n) => typeof n === 'string');
    if (!ok || spec.classNames.length !== last.spec.units) {
      throw new ModelSpecError(
        'INVALID_SPEC',
        `spec.classNames must be ${last.spec.units} strings, one per output unit`,
      );
    }
  }
  checkParameterBudget(plans);
  return plans;
}
