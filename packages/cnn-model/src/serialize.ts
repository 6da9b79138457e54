import { ModelFormatError, ModelSpecError } from './errors.js';
import { specFromKerasTopology, toKerasTopology } from './keras-topology.js';
import { type CnnModel, createModel } from './model.js';
import { type ModelSpec, planModel, sizeOf, type WeightPlan, weightCount } from './spec.js';
import { checkFinite, checkWeightNames } from './weights.js';

/** Version of our metadata block; a loader refuses files written by a newer one. */
const modelFormatVersion = 1;

/** One entry of a TF.js weights manifest. */
export type WeightSpec = { name: string; shape: number[]; dtype: 'float32' };

/** The model.json document: TF.js layers-model format plus our metadata. */
export type ModelJson = {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: Record<string, unknown>;
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
  userDefinedMetadata: { mnistCnn: { formatVersion: number; spec: ModelSpec } };
};

/**
 * `weights-<16 hex digits of the bytes' SHA-256>.bin`: a new model never overwrites the weights an old model.json names.
 * Browsers offer SubtleCrypto only to secure pages (https, localhost); a page served over plain http still gets valid
 * files, named `weights.bin`, since the hash only matters where files are saved side by side on disk.
 */
async function weightsFileName(data: ArrayBuffer): Promise<string> {
  if (globalThis.crypto?.subtle === undefined) return 'weights.bin';
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return `weights-${Array.from(digest.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join('')}.bin`;
}

/** model.json and its weights file's bytes in the TF.js weights-manifest format (loadable by tfjs-layers). */
export async function serializeModel(model: CnnModel): Promise<{ modelJson: ModelJson; weightData: ArrayBuffer }> {
  const plans = planModel(model.spec);
  const weights = model.getWeights();
  const specs = plans.flatMap((p) =>
    p.weights.map((w): WeightSpec => ({ name: w.name, shape: w.shape, dtype: 'float32' })),
  );
  const data = new Float32Array(weightCount(specs));
  let offset = 0;
  for (const w of specs) {
    const values = weights[w.name]!;
    // A model that learned NaN would load nowhere; refusing here leaves the last good files on disk.
    checkFinite(w.name, values);
    data.set(values, offset);
    offset += values.length;
  }
  const modelJson: ModelJson = {
    format: 'layers-model',
    generatedBy: '@mnist-cnn/cnn-model',
    convertedBy: null,
    modelTopology: toKerasTopology(model.spec, plans),
    weightsManifest: [{ paths: [await weightsFileName(data.buffer)], weights: specs }],
    userDefinedMetadata: { mnistCnn: { formatVersion: modelFormatVersion, spec: structuredClone(model.spec) } },
  };
  return { modelJson, weightData: data.buffer };
}

function invalid(message: string): never {
  throw new ModelFormatError('INVALID_MODEL_JSON', message);
}

/**
 * Reads the spec out of a model.json object (or its text): ours from its metadata block, checking the format version,
 * or, for a file tfjs-layers' `model.save` wrote, one built from its Keras topology.
 */
export function readModelJson(modelJson: unknown) {
  const json = typeof modelJson === 'string' ? parseJson(modelJson) : modelJson;
  if (typeof json !== 'object' || json === null) invalid('model.json must be a JSON object');
  const { userDefinedMetadata, weightsManifest, modelTopology } = json as Partial<ModelJson>;
  const meta = userDefinedMetadata?.mnistCnn;
  let spec: ModelSpec;
  let expected: WeightPlan[];
  try {
    spec = meta === undefined && modelTopology !== undefined ? specFromKerasTopology(modelTopology) : ourSpec(meta);
    expected = planModel(spec).flatMap((p) => p.weights);
  } catch (error) {
    if (error instanceof ModelSpecError) {
      throw new ModelFormatError(
        error.code === 'UNKNOWN_LAYER_TYPE' ? 'UNKNOWN_LAYER_TYPE' : 'INVALID_SPEC',
        `model.json: ${error.message}`,
      );
    }
    throw error;
  }
  if (!Array.isArray(weightsManifest)) invalid('model.json has no weightsManifest array');
  const manifest = weightsManifest.flatMap((group) =>
    Array.isArray(group?.weights) ? group.weights : invalid('weightsManifest group without weights'),
  );
  const files = weightsManifest.flatMap((group) => (Array.isArray(group.paths) ? group.paths : []));
  // `expected`: the weights as the spec plans them; `manifest`: as model.json lists them.
  return { spec, expected, manifest, files };
}

function ourSpec(meta: ModelJson['userDefinedMetadata']['mnistCnn'] | undefined): ModelSpec {
  if (!meta || typeof meta !== 'object')
    invalid(
      'model.json has neither a userDefinedMetadata.mnistCnn block (@mnist-cnn/cnn-model) nor a modelTopology (tfjs-layers)',
    );
  if (!Number.isInteger(meta.formatVersion) || meta.formatVersion < 1)
    invalid(`model.json has an invalid formatVersion ${JSON.stringify(meta.formatVersion)}`);
  if (meta.formatVersion > modelFormatVersion) {
    throw new ModelFormatError(
      'NEWER_FORMAT_VERSION',
      `model.json uses format version ${meta.formatVersion}, newer than ${modelFormatVersion}; upgrade @mnist-cnn/cnn-model`,
    );
  }
  return meta.spec;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return invalid(`model.json is not valid JSON: ${(error as Error).message}`);
  }
}

/** The model that model.json's contents and its weights' bytes describe, checked before any tensor is allocated. */
export function modelFromContents(
  { spec, expected, manifest, files }: ReturnType<typeof readModelJson>,
  weightData: ArrayBuffer | Uint8Array,
): CnnModel {
  const names = manifest.map((w) => w.name);
  if (new Set(names).size !== names.length) invalid('weightsManifest lists a weight twice');
  checkWeightNames(expected, names);
  for (const e of expected) {
    const found = manifest.find((w) => w.name === e.name)!;
    if (found.dtype !== 'float32')
      throw new ModelFormatError('WEIGHT_DTYPE', `weight ${e.name} has dtype ${found.dtype}, expected float32`);
    if (!Array.isArray(found.shape) || found.shape.join(',') !== e.shape.join(',')) {
      throw new ModelFormatError(
        'WEIGHT_SHAPE_MISMATCH',
        `weight ${e.name} has shape [${found.shape}], expected [${e.shape}]`,
      );
    }
  }
  const bytes = weightData instanceof Uint8Array ? weightData : new Uint8Array(weightData);
  const needed = 4 * weightCount(expected);
  if (bytes.byteLength !== needed) {
    const holder = files.length === 1 ? `${files[0]} holds` : `the weights files (${files.join(', ')}) hold`;
    throw new ModelFormatError('WEIGHT_BYTE_LENGTH', `${holder} ${bytes.byteLength} bytes, the model needs ${needed}`);
  }
  const weights: Record<string, Float32Array> = {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (const w of manifest) {
    const values = new Float32Array(sizeOf(w.shape));
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(offset + i * 4, true);
    offset += values.length * 4;
    checkFinite(w.name, values);
    weights[w.name] = values;
  }
  const model = createModel(spec);
  try {
    model.setWeights(weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/**
 * Rebuilds the exact model from model.json (object or text) and its weights file's bytes; validates before allocating.
 *
 * @example
 * ```ts
 * import { deserializeModel } from '@mnist-cnn/cnn-model';
 *
 * // In a browser, after setting up a tfjs backend:
 * const json = await fetch('/model/model.json').then((response) => response.json());
 * const weightsFile: string = json.weightsManifest[0].paths[0]; // weights-<content hash>.bin
 * const weights = await fetch(`/model/${weightsFile}`).then((response) => response.arrayBuffer());
 * const model = deserializeModel(json, weights);
 * ```
 */
export function deserializeModel(modelJson: unknown, weightData: ArrayBuffer | Uint8Array): CnnModel {
  return modelFromContents(readModelJson(modelJson), weightData);
}
