import type { Args, Product } from './products.js';

/**
 * Max pooling (non-overlapping 'valid' windows), inputs {x}, attrs {pool}, and its gradient, inputs {x, dy}, attrs
 * {pool, relu}: the compiled `maxPool` and `maxPoolGradient` (wasm/assembly/max-pool.ts) on both backends; with `relu`
 * (x is a ReLU's output) the gradient is that of the ReLU's input.
 */

type Shape4 = [number, number, number, number];

function forward({ inputs, attrs }: Args): Product {
  const { x } = inputs;
  if (!x) throw new Error('max pooling needs input x');
  const [n, h, w, c] = x.shape as Shape4;
  const [ph, pw] = (attrs as { pool: [number, number] }).pool;
  return {
    inputs: [x],
    outputs: [[n, Math.floor(h / ph), Math.floor(w / pw), c]],
    scratch: 0,
    run: (kernel, [xAt], [yAt]) => kernel('maxPool')(xAt!, yAt!, n, h, w, c, ph, pw),
  };
}

function gradient({ inputs, attrs }: Args): Product {
  const { x, dy } = inputs;
  if (!x || !dy) throw new Error('the max-pool gradient needs inputs x and dy');
  const { pool, relu } = attrs as { pool: [number, number]; relu: boolean };
  return {
    inputs: [x, dy],
    outputs: [[...x.shape]],
    scratch: 0,
    run: (kernel, [xAt, dyAt], [dxAt]) =>
      kernel('maxPoolGradient')(xAt!, dyAt!, dxAt!, ...(x.shape as Shape4), ...pool, relu ? 1 : 0),
  };
}

export const maxPool = { forward, gradient };
