import { type LayerPlan, type ModelSpec, pair } from './spec.js';

type KerasLayer = { class_name: string; config: Record<string, unknown> };

function kerasLayer(plan: LayerPlan, isLast: boolean): KerasLayer {
  const spec = plan.spec;
  const base = { name: plan.name, trainable: true, dtype: 'float32' };
  switch (spec.type) {
    case 'conv2d':
      return {
        class_name: 'Conv2D',
        config: {
          ...base,
          filters: spec.filters,
          kernel_size: pair(spec.kernelSize, 0, 'kernelSize'),
          strides: pair(spec.strides, 1, 'strides'),
          padding: spec.padding ?? 'valid',
          data_format: 'channels_last',
          dilation_rate: [1, 1],
          activation: spec.activation ?? 'linear',
          use_bias: spec.useBias !== false,
        },
      };
    case 'maxPool2d': {
      const size = pair(spec.poolSize, 0, 'poolSize');
      return {
        class_name: 'MaxPooling2D',
        config: { ...base, pool_size: size, strides: size, padding: 'valid', data_format: 'channels_last' },
      };
    }
    case 'batchNorm':
      return {
        class_name: 'BatchNormalization',
        config: {
          ...base,
          axis: -1,
          momentum: spec.momentum ?? 0.99,
          epsilon: spec.epsilon ?? 1e-3,
          center: true,
          scale: true,
        },
      };
    case 'dropout':
      return { class_name: 'Dropout', config: { ...base, rate: spec.rate } };
    case 'relu':
      return { class_name: 'ReLU', config: { ...base, max_value: null } };
    case 'flatten':
      return { class_name: 'Flatten', config: { ...base, data_format: 'channels_last' } };
    case 'dense':
      return {
        class_name: 'Dense',
        // Our last layer yields logits and predict() applies softmax; Keras folds that into the layer.
        config: {
          ...base,
          units: spec.units,
          activation: isLast ? 'softmax' : (spec.activation ?? 'linear'),
          use_bias: spec.useBias !== false,
        },
      };
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
