/** Stable codes for problems with an architecture spec. */
export type ModelSpecErrorCode =
  | 'INVALID_SPEC'
  | 'UNKNOWN_LAYER_TYPE'
  | 'INVALID_LAYER'
  | 'INVALID_SHAPE'
  | 'UNKNOWN_PRESET'
  | 'INVALID_INPUT'
  | 'OVER_BUDGET';

/** A spec (or an input given to a model) that cannot describe or feed a valid network. */
export class ModelSpecError extends Error {
  override readonly name = 'ModelSpecError';
  constructor(
    readonly code: ModelSpecErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Stable codes for problems with a saved model or a set of weights. */
export type ModelFormatErrorCode =
  | 'INVALID_MODEL_JSON'
  | 'NEWER_FORMAT_VERSION'
  | 'UNKNOWN_LAYER_TYPE'
  | 'INVALID_SPEC'
  | 'MISSING_WEIGHT'
  | 'UNEXPECTED_WEIGHT'
  | 'WEIGHT_SHAPE_MISMATCH'
  | 'WEIGHT_DTYPE'
  | 'WEIGHT_BYTE_LENGTH'
  | 'NON_FINITE_WEIGHT'
  | 'FILE_NOT_FOUND'
  | 'UNSUPPORTED_MODEL'
  | 'UNSUPPORTED_LAYER'
  | 'UNREADABLE_FILE';

/** A model file, weight buffer or weight map that does not match what the model expects. */
export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
  constructor(
    readonly code: ModelFormatErrorCode,
    message: string,
  ) {
    super(message);
  }
}
