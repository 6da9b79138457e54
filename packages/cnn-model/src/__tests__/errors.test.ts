import { describe, expect, it } from 'vitest';
import { deserializeModel, getPreset, ModelFormatError, ModelSpecError } from '../index.js';

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('ModelSpecError and ModelFormatError', () => {
  it('stay two classes that callers (the CLI among them) tell apart by instanceof, name and code', () => {
    const specError = thrownBy(() => getPreset('huge'));
    const formatError = thrownBy(() => deserializeModel({ format: 'mnist-cnn' }, new ArrayBuffer(0)));
    expect(specError).toBeInstanceOf(ModelSpecError);
    expect(specError).not.toBeInstanceOf(ModelFormatError);
    expect(formatError).toBeInstanceOf(ModelFormatError);
    expect(formatError).not.toBeInstanceOf(ModelSpecError);
    expect(specError).toMatchObject({ name: 'ModelSpecError', code: 'UNKNOWN_PRESET' });
    expect(formatError).toMatchObject({ name: 'ModelFormatError', code: 'INVALID_MODEL_JSON' });
    // What an uncaught error shows first: its class and the message naming the value.
    expect(String(specError)).toMatch(/^ModelSpecError: unknown preset "huge"/);
    expect((formatError as Error).stack).toMatch(/^ModelFormatError: /);
  });
});
