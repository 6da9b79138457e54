import { describe, expect, it } from 'vitest';
import { declaredImageSize, decodeImage } from '../image-decode.js';
import { parsePgm } from '../pgm.js';
import { jpegBytes, mnistTestDigits, paintDigit, pngBytes } from './fixtures.js';

const digit = paintDigit(mnistTestDigits(1).images[0]!, { scale: 2 });

/** A copy of `bytes` whose JPEG start-of-frame declares `width`×`height`. */
function jpegClaiming(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const forged = bytes.slice();
  for (let i = 2; i + 1 < forged.length; i++) {
    if (forged[i] === 0xff && forged[i + 1] === 0xc0) {
      new DataView(forged.buffer).setUint16(i + 5, height);
      new DataView(forged.buffer).setUint16(i + 7, width);
      return forged;
    }
  }
  throw new Error('no start of frame');
}

describe('image dimensions are checked from the header before decoding', () => {
  it('reads the size a PNG or JPEG header declares', () => {
    expect(declaredImageSize(pngBytes(digit), 'png')).toEqual({ width: 56, height: 56 });
    expect(declaredImageSize(jpegBytes(digit), 'jpeg')).toEqual({ width: 56, height: 56 });
  });

  it('refuses a JPEG whose header declares 60000×60000', () => {
    const forged = jpegClaiming(jpegBytes(digit), 60000, 60000);
    expect(() => decodeImage(forged, 'big.jpg')).toThrow(
      'big.jpg: its header declares 60000×60000 pixels, more than the 50 megapixels accepted',
    );
  });

  it('refuses a PGM whose header declares more pixels than accepted, before allocating them', () => {
    const header = new TextEncoder().encode('P5\n65536 65536\n255\n');
    expect(() => parsePgm(header, 50_000_000)).toThrow(/declares 65536×65536 pixels, more than the 50000000 accepted/);
    expect(() => decodeImage(header, 'big.pgm')).toThrow(/big\.pgm: could not decode PGM image: .*65536×65536/);
    // Within the limit but with no raster: refused as truncated before the samples are allocated.
    expect(() => parsePgm(new TextEncoder().encode('P2\n5000 5000\n255\n1 2'))).toThrow(/truncated raster/);
  });
});
