/** Stable codes for problems with an architecture spec. */
export type ModelSpecErrorCode =
  | 'INVALID_SPEC'
  | 'UNKNOWN_LAYER_TYPE'
  | 'INVALID_LAYER'
  | 'INVALID_SHAPE'
  | 'UNKNOWN_PRESET'
  | 'INVALID_INPUT'
  | 'OVER_BUDGET';

// Two classes, not one: a spec is the caller's code at fault, a model file or weights are data at fault, and callers
// (the CLI among them) tell the two apart with `instanceof` or `name`. What they share lives here once.
abstract class CnnModelError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }
}

/** A spec (or an input given to a model) that cannot describe or feed a valid network. */
export class ModelSpecError extends CnnModelError<ModelSpecErrorCode> {
  override readonly name = 'ModelSpecError';
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
export class ModelFormatError extends CnnModelError<ModelFormatErrorCode> {
  override readonly name = 'ModelFormatError';
}
