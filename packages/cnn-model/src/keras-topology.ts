import { ModelFormatError } from './errors.js';
import { type Activation, type LayerPlan, type LayerSpec, type ModelSpec, pair } from './spec.js';

type Config = Record<string, unknown>;
type Pair = number | [number, number];
type KerasLayer = { class_name: string; config: Config };

/** The Keras layer (class name and config) that does what a layer of ours does. */
function kerasLayer(plan: LayerPlan, isLast: boolean): KerasLayer {
  const spec = plan.spec;
  const layer = (class_name: string, config: Config) => ({
    class_name,
    config: { name: plan.name, trainable: true, dtype: 'float32', ...config },
  });
  switch (spec.type) {
    case 'conv2d':
      return layer('Conv2D', {
        filters: spec.filters,
        kernel_size: pair(spec.kernelSize, 0, 'kernelSize'),
        strides: pair(spec.strides, 1, 'strides'),
        padding: spec.padding ?? 'valid',
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        activation: spec.activation ?? 'linear',
        use_bias: spec.useBias !== false,
      });
    case 'maxPool2d': {
      const size = pair(spec.poolSize, 0, 'poolSize');
      return layer('MaxPooling2D', { pool_size: size, strides: size, padding: 'valid', data_format: 'channels_last' });
    }
    case 'batchNorm': {
      const { momentum = 0.99, epsilon = 1e-3 } = spec;
      return layer('BatchNormalization', { axis: -1, momentum, epsilon, center: true, scale: true });
    }
    case 'dropout':
      return layer('Dropout', { rate: spec.rate });
    case 'relu':
      return layer('ReLU', { max_value: null });
    case 'flatten':
      return layer('Flatten', { data_format: 'channels_last' });
    case 'dense': {
      // Our last layer yields logits and predict() applies softmax; Keras folds that into the layer.
      const activation = isLast ? 'softmax' : (spec.activation ?? 'linear');
      return layer('Dense', { units: spec.units, activation, use_bias: spec.useBias !== false });
    }
  }
}

/** A Keras `Sequential` topology equivalent to the spec, readable by tfjs-layers `loadLayersModel`. */
export function toKerasTopology(spec: ModelSpec, plans: LayerPlan[]): Record<string, unknown> {
  const layers = plans.map((plan, i) => kerasLayer(plan, i === plans.length - 1));
  const first = layers[0];
  if (first) first.config.batch_input_shape = [null, ...spec.inputShape];
  return {
    class_name: 'Sequential',
    config: { name: spec.name, layers },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}

function refuse(where: string, what: string): never {
  throw new ModelFormatError('UNSUPPORTED_LAYER', `model.json ${where}: ${what}`);
}

function activationOf(config: Config, where: string, allowSoftmax: boolean): Activation | 'softmax' {
  const activation = config.activation ?? 'linear';
  if (activation === 'relu' || activation === 'linear') return activation;
  if (activation === 'softmax' && allowSoftmax) return 'softmax';
  return refuse(
    where,
    `activation ${JSON.stringify(activation)} is not supported; only relu and linear (softmax on the last layer)`,
  );
}

/** The [height, width, channels] a Sequential model declares for its input (`batch_input_shape: [null, h, w, c]`). */
function inputShapeOf(config: Config, where: string): [number, number, number] {
  const shape = config.batch_input_shape ?? config.batchInputShape;
  const images = Array.isArray(shape) && shape.length === 4;
  if (!images || !shape.slice(1).every((n) => Number.isInteger(n) && (n as number) > 0))
    refuse(where, `the input must be [height, width, channels] images, got batch_input_shape ${JSON.stringify(shape)}`);
  return [shape[1], shape[2], shape[3]] as [number, number, number];
}

/** A ReLU right after a linear conv or dense layer becomes that layer's activation; elsewhere it is a layer of its own. */
function addRelu(layers: LayerSpec[], named: { name?: string }): void {
  const previous = layers[layers.length - 1];
  if ((previous?.type === 'conv2d' || previous?.type === 'dense') && (previous.activation ?? 'linear') === 'linear') {
    previous.activation = 'relu';
  } else {
    layers.push({ type: 'relu', ...named });
  }
}

/** One Keras layer as an importer sees it: its config, where it is (for messages), its name, its position. */
type ImportContext = { c: Config; where: string; named: { name?: string }; index: number; isLast: boolean };

/**
 * How each Keras class a Sequential model may use becomes layers of ours. Sizes and padding are checked with the rest of
 * the spec (planModel); here only what Keras adds. InputLayer only declares the input.
 */
const importers: Record<string, (layer: ImportContext, layers: LayerSpec[]) => void> = {
  InputLayer: ({ where, index }) => {
    if (index !== 0) refuse(where, 'an InputLayer must come first');
  },
  Conv2D: ({ c, where, named }, layers) => {
    const dilation = pair(c.dilation_rate as Pair, 1, `${where}: dilation_rate`);
    if (dilation[0] !== 1 || dilation[1] !== 1) refuse(where, 'dilated convolutions are not supported');
    if (c.groups !== undefined && c.groups !== 1) refuse(where, 'grouped convolutions are not supported');
    layers.push({
      type: 'conv2d',
      ...named,
      filters: c.filters as number,
      kernelSize: c.kernel_size as Pair,
      strides: (c.strides ?? 1) as Pair,
      padding: (c.padding ?? 'valid') as 'valid' | 'same',
      activation: activationOf(c, where, false) as Activation,
      useBias: c.use_bias !== false,
    });
  },
  MaxPooling2D: ({ c, where, named }, layers) => {
    const poolSize = pair(c.pool_size as Pair, 2, `${where}: pool_size`);
    const strides = c.strides == null ? poolSize : pair(c.strides as Pair, 1, `${where}: strides`);
    if (strides[0] !== poolSize[0] || strides[1] !== poolSize[1])
      refuse(where, 'only pooling with strides equal to pool_size is supported');
    if ((c.padding ?? 'valid') !== 'valid') refuse(where, "only padding 'valid' is supported");
    layers.push({ type: 'maxPool2d', ...named, poolSize });
  },
  Flatten: ({ named }, layers) => {
    layers.push({ type: 'flatten', ...named });
  },
  Dense: ({ c, where, named, isLast }, layers) => {
    const kerasActivation = activationOf(c, where, isLast);
    const activation = kerasActivation === 'softmax' ? 'linear' : kerasActivation;
    layers.push({ type: 'dense', ...named, units: c.units as number, activation, useBias: c.use_bias !== false });
  },
  Dropout: ({ c, named }, layers) => {
    layers.push({ type: 'dropout', ...named, rate: c.rate as number });
  },
  BatchNormalization: ({ c, where, named }, layers) => {
    const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : (c.axis ?? -1);
    if (axis !== -1 && axis !== 3)
      refuse(where, `only the channel axis (-1) is supported, got ${JSON.stringify(c.axis)}`);
    if (c.center === false || c.scale === false) refuse(where, 'center and scale must both be on');
    const momentum = typeof c.momentum === 'number' ? c.momentum : undefined;
    const epsilon = typeof c.epsilon === 'number' ? c.epsilon : undefined;
    layers.push({ type: 'batchNorm', ...named, momentum, epsilon });
  },
  Activation: ({ c, where, named, isLast }, layers) => {
    const activation = activationOf(c, where, isLast);
    const previous = layers[layers.length - 1];
    if (activation === 'relu') addRelu(layers, named);
    else if (activation === 'softmax' && (previous?.type !== 'dense' || (previous.activation ?? 'linear') !== 'linear'))
      refuse(where, 'softmax must directly follow the last Dense layer');
  },
  ReLU: ({ c, where, named }, layers) => {
    if ((c.max_value ?? null) !== null || (c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0)
      refuse(where, 'only a plain ReLU (no max_value, negative_slope or threshold) is supported');
    addRelu(layers, named);
  },
};

/**
 * The spec of a Sequential model saved by tfjs-layers' `model.save` (or converted from Keras), with the layers'
 * own names so the weights manifest matches. Our models end in logits and `predict` applies the softmax, so a softmax
 * on the last Dense layer (or in an Activation after it) is what our output already is. The input is taken as
 * pixels scaled to [0, 1]. Layers we cannot run are refused with an error that names them.
 */
export function specFromKerasTopology(topology: unknown): ModelSpec {
  const root = ((topology as { model_config?: unknown } | null)?.model_config ?? topology) as Config | null;
  if (root?.class_name !== 'Sequential') {
    throw new ModelFormatError(
      'UNSUPPORTED_MODEL',
      `model.json holds a ${JSON.stringify(root?.class_name)} model; only Sequential models can be loaded`,
    );
  }
  const config = root.config as Config | Config[] | undefined;
  const kerasLayers = (Array.isArray(config) ? config : config?.layers) as { class_name?: unknown; config?: Config }[];
  if (!Array.isArray(kerasLayers) || kerasLayers.length === 0)
    throw new ModelFormatError('INVALID_MODEL_JSON', 'model.json: the Sequential model has no layers');
  let inputShape: [number, number, number] | undefined;
  const layers: LayerSpec[] = [];
  kerasLayers.forEach((layer, index) => {
    const className = String(layer?.class_name);
    const c = (layer?.config ?? {}) as Config;
    const name = typeof c.name === 'string' ? c.name : undefined;
    const where = `layer ${index} (${className}${name === undefined ? '' : ` ${JSON.stringify(name)}`})`;
    if (index === 0) inputShape = inputShapeOf(c, where);
    if (!Object.hasOwn(importers, className))
      refuse(where, `${className} layers are not supported; supported: ${Object.keys(importers).join(', ')}`);
    if (c.data_format != null && c.data_format !== 'channels_last')
      refuse(where, `data_format ${JSON.stringify(c.data_format)} is not supported; only channels_last`);
    const named = name === undefined ? {} : { name };
    importers[className]!({ c, where, named, index, isLast: index === kerasLayers.length - 1 }, layers);
  });
  return {
    name: typeof (config as Config | undefined)?.name === 'string' ? ((config as Config).name as string) : 'keras',
    inputShape: inputShape!,
    layers,
    normalization: { mean: 0, std: 1 },
  };
}
