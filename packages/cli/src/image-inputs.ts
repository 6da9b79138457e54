import { FileLimitError, readRegularFile } from '@mnist-cnn/cnn-model/node';
import { mnistSize, toMnistDigit } from '@mnist-cnn/mnist-data';
import { readIdxFile } from '@mnist-cnn/mnist-data/node';
import { CliError } from './errors.js';
import { decodeImage, ImageDecodeError, sniffImageFormat } from './image-decode.js';

/** One 28×28 image ready for the model, and where it came from. */
export interface ImageInput {
  /** The file, with `[i]` for the i-th image of an IDX file. */
  readonly name: string;
  readonly file: string;
  /** Index inside an IDX file; undefined for a picture. */
  readonly index: number | undefined;
  readonly pixels: Uint8Array;
}

/** Largest image file read: a 50-megapixel PNG or a gzipped IDX file fits; a sparse or endless file does not. */
const maxImageFileBytes = 128 * 1024 * 1024;

/** Reads a PNG, JPEG, PGM or IDX file into MNIST-style 28×28 images; throws `CliError` IMAGE_UNREADABLE. */
export async function readImageInputs(file: string, limit: number | undefined): Promise<ImageInput[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(file, { maxBytes: maxImageFileBytes });
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : error instanceof FileLimitError
          ? error.message.replace(`${file} `, '')
          : (error as Error).message;
    throw new CliError('IMAGE_UNREADABLE', `cannot read ${file}: ${reason}`, { hint: 'check the path', cause: error });
  }
  try {
    // IDX files are read again as a stream, which inflates gzip only up to the size their header declares.
    if (sniffImageFormat(bytes) === 'idx') return await idxInputs(file, limit);
    return [{ name: file, file, index: undefined, pixels: toMnistDigit(decodeImage(bytes, file)) }];
  } catch (error) {
    if (error instanceof CliError) throw error;
    const message = error instanceof ImageDecodeError ? error.message : `${file}: ${(error as Error).message}`;
    throw new CliError('IMAGE_UNREADABLE', message, {
      hint: 'predict reads PNG, JPEG, PGM (P2/P5) and IDX image files',
      cause: error,
    });
  }
}

async function idxInputs(file: string, limit: number | undefined): Promise<ImageInput[]> {
  const tensor = await readIdxFile(file);
  const shape = tensor.shape.length === 2 ? [1, ...tensor.shape] : tensor.shape;
  if (tensor.dtype !== 'uint8' || shape.length !== 3) {
    throw new CliError(
      'IMAGE_UNREADABLE',
      `${file}: an IDX image file holds uint8 [count, rows, cols], found ${tensor.dtype} [${tensor.shape.join(', ')}]`,
      {
        hint: 'pass an images file (idx3-ubyte), not a labels file',
      },
    );
  }
  const [count, rows, cols] = shape as [number, number, number];
  const data = tensor.data as Uint8Array;
  const inputs: ImageInput[] = [];
  for (let index = 0; index < Math.min(count, limit ?? count); index++) {
    const raw = data.subarray(index * rows * cols, (index + 1) * rows * cols);
    // MNIST-style sets are already 28×28 light-on-dark; other sizes go through the same preparation as pictures.
    const pixels =
      rows === mnistSize && cols === mnistSize
        ? raw
        : toMnistDigit({
            width: cols,
            height: rows,
            luminance: Float32Array.from(raw, (v) => v / 255),
            alpha: new Float32Array(rows * cols).fill(1),
          });
    inputs.push({ name: `${file}[${index}]`, file, index, pixels });
  }
  return inputs;
}
