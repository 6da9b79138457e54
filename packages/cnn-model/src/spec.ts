import { ModelSpecError, type ModelSpecErrorCode } from './errors.js';

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

/** What a field of a spec must hold: a test, and the words an error uses for it. */
type FieldRule = { expected: string; holds: (value: unknown) => boolean };
type Loose = Record<string, unknown> | null | undefined;

const isPositiveInt = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;
const positiveInt: FieldRule = { expected: 'a positive integer', holds: isPositiveInt };
const fraction: FieldRule = { expected: 'a number in [0, 1)', holds: (v) => typeof v === 'number' && v >= 0 && v < 1 };
const positive: FieldRule = { expected: 'a number > 0', holds: (v) => typeof v === 'number' && v > 0 };
const oneOf = (...values: string[]): FieldRule => ({
  expected: values.map((value) => `'${value}'`).join(' or '),
  holds: (v) => values.includes(v as string),
});
const optional = (rule: FieldRule): FieldRule => ({ ...rule, holds: (v) => v === undefined || rule.holds(v) });
const activation = optional(oneOf('relu', 'linear'));

/** The fields of the spec itself; layers are checked one by one with {@link layerTypes}. */
const specFields: Record<string, FieldRule> = {
  name: { expected: 'a non-empty string', holds: (v) => typeof v === 'string' && v !== '' },
  inputShape: {
    expected: '[height, width, channels] as positive integers',
    holds: (v) => Array.isArray(v) && v.length === 3 && v.every(isPositiveInt),
  },
  normalization: {
    expected: '{ mean: finite number, std: number > 0 }',
    holds: (v) => Number.isFinite((v as Loose)?.mean) && positive.holds((v as Loose)?.std),
  },
  layers: { expected: 'a non-empty array', holds: (v) => Array.isArray(v) && v.length > 0 },
};

/** Each layer type's Keras base name (`conv2d_1`, `max_pooling2d_1`, …) and its fields that are not sizes. */
const layerTypes: Record<LayerSpec['type'], { kerasName: string; fields: Record<string, FieldRule> }> = {
  conv2d: {
    kerasName: 'conv2d',
    fields: { filters: positiveInt, padding: optional(oneOf('valid', 'same')), activation },
  },
  maxPool2d: { kerasName: 'max_pooling2d', fields: {} },
  batchNorm: {
    kerasName: 'batch_normalization',
    fields: { momentum: optional(fraction), epsilon: optional(positive) },
  },
  dropout: { kerasName: 'dropout', fields: { rate: fraction } },
  relu: { kerasName: 're_lu', fields: {} },
  flatten: { kerasName: 'flatten', fields: {} },
  dense: { kerasName: 'dense', fields: { units: positiveInt, activation } },
};

/** A value as an error message shows it: JSON, cut short so that a huge one cannot flood the message. */
const shown = (value: unknown) => String(JSON.stringify(value)).slice(0, 100);

/** Throws `code` for the first field of `object` that breaks its rule, naming the field, the rule and the value. */
function checkFields(object: object, rules: Record<string, FieldRule>, where: string, code: ModelSpecErrorCode): void {
  for (const [field, rule] of Object.entries(rules)) {
    const value = (object as Record<string, unknown>)[field];
    if (!rule.holds(value)) fail(code, `${where}${field} must be ${rule.expected}, got ${shown(value)}`);
  }
}

function fail(code: ModelSpecErrorCode, message: string): never {
  throw new ModelSpecError(code, message);
}

/** How many values a tensor of this shape holds. */
export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Reads `n` or `[a, b]` as a pair of positive integers. */
export function pair(value: number | [number, number] | undefined, fallback: number, what: string): [number, number] {
  const resolved = value ?? fallback;
  const result: [number, number] = typeof resolved === 'number' ? [resolved, resolved] : [resolved[0], resolved[1]];
  if (!Array.isArray(resolved) && typeof resolved !== 'number')
    fail('INVALID_LAYER', `${what} must be a number or [number, number]`);
  if (!isPositiveInt(result[0]) || !isPositiveInt(result[1]))
    fail('INVALID_LAYER', `${what} must be positive integers, got ${shown(value)}`);
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

/** One layer's output shape and weights; its fields have passed {@link layerTypes}' rules. */
function planLayer(spec: LayerSpec, name: string, input: number[], where: string) {
  const plan = (outputShape: number[], weights: WeightPlan[] = []) => ({ outputShape, weights });
  const weight = (role: string, shape: number[], trainable = true) => ({ name: `${name}/${role}`, shape, trainable });
  const spatial = () =>
    input.length === 3 ? input : fail('INVALID_SHAPE', `${where} needs [h, w, c] input, got [${input}]`);
  switch (spec.type) {
    case 'conv2d': {
      const [h, w, c] = spatial() as [number, number, number];
      const [kh, kw] = pair(spec.kernelSize, 0, `${where}: kernelSize`);
      const [sh, sw] = pair(spec.strides, 1, `${where}: strides`);
      const oh = convAxis(h, kh, sh, spec.padding ?? 'valid').out;
      const ow = convAxis(w, kw, sw, spec.padding ?? 'valid').out;
      if (oh < 1 || ow < 1) fail('INVALID_SHAPE', `${where}: kernel ${kh}x${kw} is larger than input ${h}x${w}`);
      const bias = spec.useBias === false ? [] : [weight('bias', [spec.filters])];
      return plan([oh, ow, spec.filters], [weight('kernel', [kh, kw, c, spec.filters]), ...bias]);
    }
    case 'maxPool2d': {
      const [h, w, c] = spatial() as [number, number, number];
      const [ph, pw] = pair(spec.poolSize, 0, `${where}: poolSize`);
      if (ph > h || pw > w) fail('INVALID_SHAPE', `${where}: pool ${ph}x${pw} is larger than input ${h}x${w}`);
      return plan([Math.floor(h / ph), Math.floor(w / pw), c]);
    }
    case 'batchNorm': {
      const channels = [input[input.length - 1] ?? 0];
      const moving = [weight('moving_mean', channels, false), weight('moving_variance', channels, false)];
      return plan(input, [weight('gamma', channels), weight('beta', channels), ...moving]);
    }
    case 'dropout':
    case 'relu':
      return plan(input);
    case 'flatten':
      return plan([sizeOf(input)]);
    case 'dense': {
      if (input.length !== 1) fail('INVALID_SHAPE', `${where} needs flat input; add a flatten layer before it`);
      const bias = spec.useBias === false ? [] : [weight('bias', [spec.units])];
      return plan([spec.units], [weight('kernel', [input[0] ?? 0, spec.units]), ...bias]);
    }
  }
}

/** Most weights (trainable and moving statistics) a model may have: 128 MB of float32, far above any MNIST network. */
export const maxParameters = 32 * 1024 * 1024;

/** How many values these weights hold, trainable or not. */
export const weightCount = (weights: { shape: number[] }[]) => weights.reduce((sum, w) => sum + sizeOf(w.shape), 0);

/** Refuses a spec whose weights alone would take more than {@link maxParameters} floats, before any is allocated. */
function checkParameterBudget(plans: readonly LayerPlan[]): void {
  const parameters = weightCount(plans.flatMap((layer) => layer.weights));
  if (parameters <= maxParameters) return;
  const largest = plans.reduce((a, b) => (weightCount(b.weights) > weightCount(a.weights) ? b : a));
  throw new ModelSpecError(
    'OVER_BUDGET',
    `the model has ${parameters} parameters, more than the ${maxParameters} accepted (largest layer: ${largest.name})`,
  );
}

/** Validates a spec and resolves every layer's name, shapes and weights; throws {@link ModelSpecError}. */
export function planModel(spec: ModelSpec): LayerPlan[] {
  if (typeof spec !== 'object' || spec === null) fail('INVALID_SPEC', 'spec must be an object');
  checkFields(spec, specFields, 'spec.', 'INVALID_SPEC');
  const counts = new Map<string, number>();
  const names = new Set<string>();
  let current: number[] = [...spec.inputShape];
  const plans = spec.layers.map((layer, index) => {
    const type = (layer as { type?: unknown } | null)?.type;
    const where = `layer ${index} (${String(type ?? '?')})`;
    if (typeof layer !== 'object' || layer === null) fail('INVALID_SPEC', `${where} must be an object`);
    if (!Object.hasOwn(layerTypes, layer.type)) {
      const expected = Object.keys(layerTypes).join(', ');
      fail('UNKNOWN_LAYER_TYPE', `${where}: unknown layer type ${shown(type)}; expected one of ${expected}`);
    }
    const { kerasName, fields } = layerTypes[layer.type];
    checkFields(layer, fields, `${where}: `, 'INVALID_LAYER');
    const count = (counts.get(kerasName) ?? 0) + 1;
    counts.set(kerasName, count);
    const name = layer.name ?? `${kerasName}_${count}`;
    if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name))
      fail('INVALID_LAYER', `${where}: name ${shown(name)} must match [A-Za-z][A-Za-z0-9_.-]*`);
    if (names.has(name)) fail('INVALID_LAYER', `${where}: duplicate layer name ${shown(name)}`);
    names.add(name);
    const plan: LayerPlan = { spec: layer, name, inputShape: current, ...planLayer(layer, name, current, where) };
    current = plan.outputShape;
    return plan;
  });
  const last = plans[plans.length - 1]!;
  if (last.spec.type !== 'dense' || (last.spec.activation ?? 'linear') !== 'linear')
    fail('INVALID_SPEC', 'the last layer must be a dense layer with linear activation (its outputs are the logits)');
  const { classNames } = spec;
  const units = last.spec.units;
  const namesFit =
    Array.isArray(classNames) && classNames.length === units && classNames.every((n) => typeof n === 'string');
  if (classNames !== undefined && !namesFit)
    fail('INVALID_SPEC', `spec.classNames must be ${units} strings, one per output unit`);
  checkParameterBudget(plans);
  return plans;
}

/**
 * Most floats one activation (a layer's output for a whole batch) may hold: 256 MB. A model file is small whatever its
 * layers' widths, so without this cap a 1 MB model.json could ask for gigabytes per batch (or trap the wasm heap).
 */
export const maxActivationFloats = 64 * 1024 * 1024;

/** `15.7 M`, `4.0 G`: float counts in messages. */
const millions = (count: number) => (count >= 1e9 ? `${(count / 1e9).toFixed(1)} G` : `${(count / 1e6).toFixed(1)} M`);

/**
 * Throws OVER_BUDGET, naming the layer and the largest batch that fits, when one activation at `batchSize` images
 * would exceed {@link maxActivationFloats}. Call it with the batch size a run will actually use, before it starts.
 */
export function checkActivationBudget(spec: ModelSpec, batchSize: number): void {
  const plans = planModel(spec);
  const shapes = [
    { name: 'the input', shape: plans[0]!.inputShape },
    ...plans.map((p) => ({ name: `layer ${p.name} (${p.spec.type})`, shape: p.outputShape })),
  ];
  for (const { name, shape } of shapes) {
    const perImage = sizeOf(shape);
    if (perImage * batchSize <= maxActivationFloats) continue;
    const fits = Math.floor(maxActivationFloats / perImage);
    const advice =
      fits >= 1
        ? `use a batch size of at most ${fits} (--batch-size ${fits})`
        : 'no batch size fits; use a narrower model';
    throw new ModelSpecError(
      'OVER_BUDGET',
      `${name} outputs ${shape.join('×')} = ${millions(perImage)} floats per image; at batch size ${batchSize} that is ${millions(perImage * batchSize)}, over the ${millions(maxActivationFloats)} budget: ${advice}`,
    );
  }
}
