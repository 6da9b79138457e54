/** A decoded picture as luminance and alpha, each 0…1, row-major; what {@link toMnistDigit} takes. */
export interface LuminanceImage {
  readonly width: number;
  readonly height: number;
  readonly luminance: Float32Array;
  readonly alpha: Float32Array;
}

/** Side of an MNIST image. */
export const mnistSize = 28;
/** Side of the box MNIST fitted each digit into before centring it. */
export const mnistDigitBox = 20;

/** Ink below this (0…1, after contrast stretching) is treated as paper: it removes JPEG ringing and scanner noise. */
const noiseFloor = 0.1;

/**
 * Turns any picture of one digit into an MNIST-style 28×28 uint8 image, the way MNIST itself was made: grayscale,
 * light ink on a dark background (inverted when the picture is dark-on-light), the digit's bounding box scaled to fit
 * 20×20 keeping its aspect ratio, then placed so that its centre of mass sits at the centre of the 28×28 field.
 */
export function toMnistDigit(image: LuminanceImage): Uint8Array {
  const { width, height } = image;
  const ink = inkMap(image);
  const box = boundingBox(ink, width, height);
  const out = new Uint8Array(mnistSize * mnistSize);
  if (box === undefined) return out;
  const boxWidth = box.right - box.left;
  const boxHeight = box.bottom - box.top;
  const scale = mnistDigitBox / Math.max(boxWidth, boxHeight);
  const fittedWidth = Math.max(1, Math.min(mnistDigitBox, Math.round(boxWidth * scale)));
  const fittedHeight = Math.max(1, Math.min(mnistDigitBox, Math.round(boxHeight * scale)));
  const fitted = resampleArea(ink, width, box, fittedWidth, fittedHeight);
  const centre = centreOfMass(fitted, fittedWidth, fittedHeight);
  const offsetX = Math.round(mnistSize / 2 - centre.x);
  const offsetY = Math.round(mnistSize / 2 - centre.y);
  for (let y = 0; y < fittedHeight; y++) {
    const targetY = y + offsetY;
    if (targetY < 0 || targetY >= mnistSize) continue;
    for (let x = 0; x < fittedWidth; x++) {
      const targetX = x + offsetX;
      if (targetX < 0 || targetX >= mnistSize) continue;
      out[targetY * mnistSize + targetX] = Math.round(Math.min(1, fitted[y * fittedWidth + x]!) * 255);
    }
  }
  return out;
}

/**
 * Ink strength 0…1 per pixel: transparency flattened onto a background that contrasts with the ink, inverted when the
 * border (the paper) is light, and contrast-stretched so the paper is 0 and the strongest ink is 1.
 */
export function inkMap(image: LuminanceImage): Float32Array {
  const values = flattenAlpha(image);
  const paper = median(borderValues(values, image.width, image.height));
  const invert = paper > 0.5;
  let strongest = 0;
  for (let i = 0; i < values.length; i++) {
    const value = invert ? 1 - values[i]! : values[i]!;
    values[i] = value;
    if (value > strongest) strongest = value;
  }
  const paperLevel = invert ? 1 - paper : paper;
  const range = strongest - paperLevel;
  if (range < 0.05) return values.fill(0);
  for (let i = 0; i < values.length; i++) {
    const stretched = (values[i]! - paperLevel) / range;
    values[i] = stretched < noiseFloor ? 0 : Math.min(1, stretched);
  }
  return values;
}

function flattenAlpha(image: LuminanceImage): Float32Array {
  const { luminance, alpha } = image;
  const values = new Float32Array(luminance.length);
  let opaqueWeight = 0;
  let inkSum = 0;
  let transparent = false;
  for (let i = 0; i < luminance.length; i++) {
    opaqueWeight += alpha[i]!;
    inkSum += alpha[i]! * luminance[i]!;
    if (alpha[i]! < 1) transparent = true;
  }
  if (!transparent) return values.fill(0).map((_, i) => luminance[i]!);
  // A drawing on a transparent canvas: put it on black if its strokes are light, on white if they are dark.
  const background = opaqueWeight > 0 && inkSum / opaqueWeight > 0.5 ? 0 : 1;
  for (let i = 0; i < values.length; i++) values[i] = luminance[i]! * alpha[i]! + background * (1 - alpha[i]!);
  return values;
}

function borderValues(values: Float32Array, width: number, height: number): number[] {
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(values[x]!, values[(height - 1) * width + x]!);
  for (let y = 1; y < height - 1; y++) border.push(values[y * width]!, values[y * width + width - 1]!);
  return border;
}

function median(numbers: number[]): number {
  numbers.sort((a, b) => a - b);
  return numbers.length === 0 ? 0 : numbers[Math.floor(numbers.length / 2)]!;
}

/** Half-open pixel bounds of the ink. */
interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function boundingBox(ink: Float32Array, width: number, height: number): Box | undefined {
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > 0) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        if (y > bottom) bottom = y;
      }
    }
  }
  return right < 0 ? undefined : { left, top, right: right + 1, bottom: bottom + 1 };
}

/** Resamples `box` of the source to `targetWidth`×`targetHeight`, each target pixel the area-weighted mean it covers. */
export function resampleArea(
  source: Float32Array,
  sourceWidth: number,
  box: Box,
  targetWidth: number,
  targetHeight: number,
): Float32Array {
  const out = new Float32Array(targetWidth * targetHeight);
  const stepX = (box.right - box.left) / targetWidth;
  const stepY = (box.bottom - box.top) / targetHeight;
  for (let ty = 0; ty < targetHeight; ty++) {
    const y0 = box.top + ty * stepY;
    const y1 = y0 + stepY;
    for (let tx = 0; tx < targetWidth; tx++) {
      const x0 = box.left + tx * stepX;
      const x1 = x0 + stepX;
      let sum = 0;
      for (let sy = Math.floor(y0); sy < Math.ceil(y1); sy++) {
        const coverY = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.ceil(x1); sx++) {
          const coverX = Math.min(x1, sx + 1) - Math.max(x0, sx);
          sum += source[sy * sourceWidth + sx]! * coverX * coverY;
        }
      }
      out[ty * targetWidth + tx] = sum / (stepX * stepY);
    }
  }
  return out;
}

/** Centre of mass in pixel coordinates (pixel centres at x + 0.5); the middle when the image is empty. */
export function centreOfMass(values: ArrayLike<number>, width: number, height: number): { x: number; y: number } {
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const value = values[y * width + x]!;
      mass += value;
      sumX += value * (x + 0.5);
      sumY += value * (y + 0.5);
    }
  }
  return mass === 0 ? { x: width / 2, y: height / 2 } : { x: sumX / mass, y: sumY / mass };
}
