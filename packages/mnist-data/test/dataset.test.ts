import { describe, expect, it } from 'vitest';
import {
  DATASETS,
  DatasetFormatError,
  datasetFromIdxFiles,
  encodeIdx,
  gatherLabels,
  getDatasetPreset,
  imageAt,
  MNIST_NORMALIZATION,
  sliceSplit,
  writeNormalizedBatch,
} from '../src/index.js';
import { makeFixture } from './helpers.js';

describe('datasetFromIdxFiles', () => {
  it('builds a dataset from raw and gzipped bytes alike', async () => {
    const f = makeFixture();
    for (const files of [f.bytes, f.gz, { ...f.bytes, trainImages: f.gz.trainImages }]) {
      const d = await datasetFromIdxFiles(files);
      expect(d.name).toBe('mnist');
      expect(d.classNames).toHaveLength(10);
      expect(d.train).toMatchObject({ count: 12, rows: 4, cols: 3 });
      expect(d.test.count).toBe(5);
      expect(d.train.images).toEqual(f.train.images);
      expect(d.train.labels).toEqual(f.train.labels);
      expect(d.test.images).toEqual(f.test.images);
    }
  });

  it('keeps raw uint8 bytes as views (no copy)', async () => {
    const f = makeFixture();
    const d = await datasetFromIdxFiles(f.bytes);
    expect(d.train.images.buffer).toBe(f.bytes.trainImages.buffer);
    expect(d.train.labels.buffer).toBe(f.bytes.trainLabels.buffer);
  });

  it('accepts ArrayBuffers (what fetch returns) and names the preset', async () => {
    const f = makeFixture();
    const buffers = Object.fromEntries(Object.entries(f.gz).map(([k, v]) => [k, v.slice().buffer])) as never;
    const d = await datasetFromIdxFiles(buffers, { dataset: 'fashion-mnist' });
    expect(d.name).toBe('fashion-mnist');
    expect(d.classNames[9]).toBe('Ankle boot');
  });

  const bad: [string, (f: ReturnType<typeof makeFixture>) => void, string, RegExp][] = [
    [
      'image/label count mismatch',
      (f) => {
        f.bytes.trainLabels = encodeIdx({ dtype: 'uint8', shape: [11], data: f.train.labels.subarray(0, 11) });
      },
      'DATASET_COUNT_MISMATCH',
      /12 images \(train-images-idx3-ubyte\) but 11 labels \(train-labels-idx1-ubyte\)/,
    ],
    [
      'label outside the class range',
      (f) => {
        const labels = f.test.labels.slice();
        labels[3] = 10;
        f.bytes.testLabels = encodeIdx({ dtype: 'uint8', shape: [5], data: labels });
      },
      'DATASET_LABEL_OUT_OF_RANGE',
      /t10k-labels-idx1-ubyte: label 10 at index 3 is outside the 10 classes/,
    ],
    [
      'images of rank 2',
      (f) => {
        f.bytes.trainImages = encodeIdx({ dtype: 'uint8', shape: [12, 12], data: f.train.images });
      },
      'DATASET_SHAPE_MISMATCH',
      /images must be uint8 with shape \[count, rows, cols\]/,
    ],
    [
      'labels that are not uint8',
      (f) => {
        f.bytes.trainLabels = encodeIdx({ dtype: 'int32', shape: [12], data: f.train.labels });
      },
      'DATASET_SHAPE_MISMATCH',
      /labels must be uint8/,
    ],
    [
      'train and test image sizes differ',
      (f) => {
        f.bytes.testImages = encodeIdx({ dtype: 'uint8', shape: [5, 3, 4], data: f.test.images });
      },
      'DATASET_SHAPE_MISMATCH',
      /train images are 4×3 but test images are 3×4/,
    ],
  ];
  for (const [name, mutate, code, message] of bad) {
    it(`${name} → ${code}`, async () => {
      const f = makeFixture();
      mutate(f);
      const p = datasetFromIdxFiles(f.bytes);
      await expect(p).rejects.toBeInstanceOf(DatasetFormatError);
      await expect(p).rejects.toMatchObject({ code });
      await expect(p).rejects.toThrow(message);
    });
  }

  it('reports IDX and gzip errors with the file name', async () => {
    const f = makeFixture();
    await expect(
      datasetFromIdxFiles({ ...f.bytes, testImages: f.bytes.testImages.subarray(0, 30) }),
    ).rejects.toMatchObject({ code: 'IDX_TRUNCATED_DATA', file: 't10k-images-idx3-ubyte' });
    await expect(
      datasetFromIdxFiles({ ...f.bytes, trainLabels: f.gz.trainLabels.subarray(0, 10) }),
    ).rejects.toMatchObject({ code: 'GZIP_CORRUPT', file: 'train-labels-idx1-ubyte' });
  });
});

describe('presets', () => {
  it('has the three datasets with ten class names and four files each', () => {
    for (const name of ['mnist', 'fashion-mnist', 'kmnist'] as const) {
      const p = getDatasetPreset(name);
      expect(p.classNames).toHaveLength(10);
      expect(p.mirrors.length).toBeGreaterThan(0);
      for (const file of Object.values(p.files)) {
        expect(file.gzSha256).toMatch(/^[0-9a-f]{64}$/);
        expect(file.gzName).toBe(`${file.name}.gz`);
      }
      expect(p.files.trainImages.rawSize).toBe(47040016);
      expect(p.files.testLabels.rawSize).toBe(10008);
    }
    expect(getDatasetPreset()).toBe(DATASETS.mnist);
    expect(DATASETS.mnist.files.trainImages.gzSize).toBe(9912422);
  });

  it('rejects unknown names with DATASET_UNKNOWN', () => {
    expect(() => getDatasetPreset('cifar10')).toThrow(expect.objectContaining({ code: 'DATASET_UNKNOWN' }));
    expect(() => getDatasetPreset('toString')).toThrow(expect.objectContaining({ code: 'DATASET_UNKNOWN' }));
  });
});

describe('splits and batches', () => {
  it('sliceSplit returns views', async () => {
    const f = makeFixture();
    const d = await datasetFromIdxFiles(f.bytes);
    const s = sliceSplit(d.train, 2, 5);
    expect(s).toMatchObject({ count: 3, rows: 4, cols: 3 });
    expect(s.images.buffer).toBe(d.train.images.buffer);
    expect(s.images).toEqual(f.train.images.subarray(2 * 12, 5 * 12));
    expect(s.labels).toEqual(f.train.labels.subarray(2, 5));
    expect(imageAt(s, 1)).toEqual(imageAt(d.train, 3));
    expect(sliceSplit(d.train, 4).count).toBe(8);
    expect(() => sliceSplit(d.train, 5, 2)).toThrow(RangeError);
    expect(() => sliceSplit(d.train, 0, 13)).toThrow(RangeError);
  });

  it('writeNormalizedBatch computes (pixel/255 - mean)/std in NHWC order', async () => {
    const f = makeFixture();
    const d = await datasetFromIdxFiles(f.bytes);
    const indices = [3, 0, 11, 3];
    const px = 12;
    const out = new Float32Array(indices.length * px + 5).fill(-99);
    const { mean, std } = MNIST_NORMALIZATION;
    expect(writeNormalizedBatch(d.train, indices, out, MNIST_NORMALIZATION)).toBe(out);
    indices.forEach((idx, b) => {
      for (let j = 0; j < px; j++) {
        expect(out[b * px + j]).toBeCloseTo((f.train.images[idx * px + j]! / 255 - mean) / std, 6);
      }
    });
    expect(Array.from(out.subarray(indices.length * px))).toEqual([-99, -99, -99, -99, -99]);
    // Default: plain [0, 1] scaling. Typed-array indices work too.
    writeNormalizedBatch(d.train, Uint32Array.of(1), out);
    expect(out[0]).toBeCloseTo(f.train.images[px]! / 255, 7);
    expect(() => writeNormalizedBatch(d.train, [12], out)).toThrow(RangeError);
    expect(() => writeNormalizedBatch(d.train, [0, 1], new Float32Array(px))).toThrow(RangeError);
    expect(() => writeNormalizedBatch(d.train, [0], out, { mean: 0, std: 0 })).toThrow(RangeError);
    expect(gatherLabels(d.train, indices)).toEqual(Uint8Array.from(indices.map((i) => f.train.labels[i]!)));
    expect(gatherLabels(d.train, [1], new Int32Array(1))[0]).toBe(f.train.labels[1]);
  });
});
