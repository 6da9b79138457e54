// Turns what was drawn on a canvas into the 28×28 MNIST-style image the model expects.
import { toMnistDigit } from '@mnist-cnn/mnist-data';

/** The canvas's pixels as an MNIST-style uint8 image (light ink on dark, fitted to 20×20, centred by mass). */
export function canvasToMnist(canvas: HTMLCanvasElement): Uint8Array {
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('this browser gives no 2D canvas context');
  const { width, height } = canvas;
  const rgba = context.getImageData(0, 0, width, height).data;
  const luminance = new Float32Array(width * height);
  const alpha = new Float32Array(width * height);
  for (let i = 0; i < luminance.length; i++) {
    luminance[i] = (0.299 * rgba[i * 4]! + 0.587 * rgba[i * 4 + 1]! + 0.114 * rgba[i * 4 + 2]!) / 255;
    alpha[i] = rgba[i * 4 + 3]! / 255;
  }
  return toMnistDigit({ width, height, luminance, alpha });
}
