import { centreOfMass, toMnistDigit } from '@mnist-cnn/mnist-data';
import { describe, expect, it } from 'vitest';
import { decodeImage, ImageDecodeError, sniffImageFormat } from '../image-decode.js';
import { encodePgm, PgmFormatError, parsePgm } from '../pgm.js';
import {
  correlation,
  jpegBytes,
  mnistTestDigits,
  paintDigit,
  pgmBytes,
  pngBytes,
  shiftedCorrelation,
} from './fixtures.js';

const { images } = mnistTestDigits(20);

function meanCorrelation(make: (digit: Uint8Array) => Uint8Array, file: string, count = images.length): number {
  const scores = images
    .slice(0, count)
    .map((digit) => shiftedCorrelation(toMnistDigit(decodeImage(make(digit), file)), digit));
  return scores.reduce((sum, score) => sum + score, 0) / scores.length;
}

describe('toMnistDigit on real MNIST digits', () => {
  it('nearly reproduces a digit saved as a 28×28 PNG (MNIST digits are already prepared this way)', () => {
    expect(meanCorrelation((digit) => pngBytes(paintDigit(digit)), 'd.png')).toBeGreaterThan(0.9);
  });

  it('recovers a digit drawn dark-on-light in colour, enlarged and off-centre on a larger canvas', () => {
    const make = (digit: Uint8Array) =>
      pngBytes(
        paintDigit(digit, {
          scale: 4,
          width: 200,
          height: 160,
          left: 70,
          top: 20,
          ink: [20, 30, 120],
          paper: [250, 240, 200],
        }),
      );
    expect(meanCorrelation(make, 'big.png')).toBeGreaterThan(0.8);
  });

  it('recovers a digit from a JPEG and from a PGM', () => {
    expect(
      meanCorrelation(
        (digit) => jpegBytes(paintDigit(digit, { scale: 3, ink: [0, 0, 0], paper: [255, 255, 255] })),
        'd.jpg',
        6,
      ),
    ).toBeGreaterThan(0.8);
    expect(meanCorrelation((digit) => pgmBytes(paintDigit(digit, { scale: 2 })), 'd.pgm')).toBeGreaterThan(0.85);
  });

  it('fits the ink into 20×20 and puts its centre of mass at the centre', () => {
    const output = toMnistDigit(
      decodeImage(pngBytes(paintDigit(images[0]!, { scale: 5, width: 300, height: 300, left: 10, top: 150 })), 'x.png'),
    );
    const centre = centreOfMass(output, 28, 28);
    expect(Math.abs(centre.x - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(centre.y - 14)).toBeLessThanOrEqual(0.5);
    const rows = [...Array(28).keys()].filter((y) => output.subarray(y * 28, y * 28 + 28).some((v) => v > 0));
    expect(rows.length).toBeGreaterThanOrEqual(18);
    expect(rows.length).toBeLessThanOrEqual(21);
  });

  it('gives the same result for a digit and its negative', () => {
    const light = toMnistDigit(decodeImage(pngBytes(paintDigit(images[3]!, { scale: 2 })), 'a.png'));
    const dark = toMnistDigit(
      decodeImage(pngBytes(paintDigit(images[3]!, { scale: 2, ink: [0, 0, 0], paper: [255, 255, 255] })), 'b.png'),
    );
    expect(correlation(light, dark)).toBeGreaterThan(0.99);
  });

  it('returns an empty image for a blank picture', () => {
    const blank = toMnistDigit(decodeImage(pngBytes(paintDigit(new Uint8Array(784), { scale: 2 })), 'blank.png'));
    expect(blank.every((v) => v === 0)).toBe(true);
  });
});

describe('image decoding', () => {
  it('sniffs formats by content', () => {
    const picture = paintDigit(images[0]!);
    expect(sniffImageFormat(pngBytes(picture))).toBe('png');
    expect(sniffImageFormat(jpegBytes(picture))).toBe('jpeg');
    expect(sniffImageFormat(pgmBytes(picture))).toBe('pgm');
    expect(sniffImageFormat(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]))).toBe('idx');
    expect(sniffImageFormat(new TextEncoder().encode('hello'))).toBeUndefined();
  });

  it('rejects unknown and damaged files with ImageDecodeError naming the file', () => {
    expect(() => decodeImage(new TextEncoder().encode('not an image'), 'notes.txt')).toThrow(ImageDecodeError);
    const png = pngBytes(paintDigit(images[0]!));
    expect(() => decodeImage(png.subarray(0, 40), 'cut.png')).toThrow(/cut\.png: could not decode PNG/);
  });
});

describe('parsePgm', () => {
  it('reads ASCII P2 with comments and 16-bit P5', () => {
    const p2 = parsePgm(new TextEncoder().encode('P2\n# a comment\n3 2\n# another\n10\n0 5 10\n10 5 0\n'));
    expect(p2).toMatchObject({ width: 3, height: 2, maxValue: 10 });
    expect([...p2.samples]).toEqual([0, 5, 10, 10, 5, 0]);
    const header = new TextEncoder().encode('P5 2 1 65535\n');
    const bytes = new Uint8Array([...header, 0x01, 0x00, 0xff, 0xff]);
    expect([...parsePgm(bytes).samples]).toEqual([256, 65535]);
  });

  it('round-trips encodePgm', () => {
    const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    expect([...parsePgm(encodePgm(4, 3, pixels)).samples]).toEqual([...pixels]);
  });

  it.each([
    ['P5\n2 2\n255\n\u0001', /truncated raster/],
    ['P2\n2 1\n10\n3 11\n', /invalid sample '11'/],
    ['P2\n0 1\n10\n', /invalid width '0'/],
    ['P2\n2 1\n', /unexpected end of file/],
    ['P2\n99999999 1\n255\n', /invalid width/],
  ])('rejects %j', (text, message) => {
    expect(() => parsePgm(new TextEncoder().encode(text))).toThrow(PgmFormatError);
    expect(() => parsePgm(new TextEncoder().encode(text))).toThrow(message);
  });
});
