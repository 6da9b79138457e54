import { describe, expect, it } from 'vitest';
import { besideText, renderDigit } from '../digit-art.js';
import { colorEnabled, memoryIo } from '../io.js';
import { chooseOutputMode, createRenderer, type ProgressState } from '../renderer.js';
import { escRegExp } from './fixtures.js';

const ansi = escRegExp(String.raw`ESC\[`);

function epochOfProgress(batches: number): ProgressState[] {
  return Array.from({ length: batches }, (_, i) => ({
    epoch: 1,
    epochs: 2,
    batch: i + 1,
    batches,
    loss: 1 / (i + 1),
    accuracy: i / batches,
    imagesPerSecond: 1000,
    etaSeconds: batches - i,
  }));
}

describe('renderers', () => {
  it('chooses JSON when asked, a live terminal on a TTY, plain lines otherwise', () => {
    expect(chooseOutputMode(memoryIo({ tty: true }), true)).toBe('json');
    expect(chooseOutputMode(memoryIo({ tty: true }), false)).toBe('tty');
    expect(chooseOutputMode(memoryIo({ tty: false }), false)).toBe('plain');
  });

  it('JSON mode prints exactly one parseable object per record and nothing else', () => {
    const io = memoryIo();
    const renderer = createRenderer('json', io);
    renderer.text('hidden');
    for (const state of epochOfProgress(50)) renderer.progress(state);
    renderer.record({ type: 'epoch', epoch: 1, loss: 0.5 }, ['epoch 1']);
    renderer.record({ type: 'summary', testAccuracy: 0.97 }, ['done']);
    const lines = io.stdoutText().trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { type: 'epoch', epoch: 1, loss: 0.5 },
      { type: 'summary', testAccuracy: 0.97 },
    ]);
  });

  it('plain mode prints about ten progress lines per epoch and no control characters', () => {
    const io = memoryIo();
    const renderer = createRenderer('plain', io);
    for (const state of epochOfProgress(100)) renderer.progress(state);
    renderer.record({ type: 'epoch' }, ['epoch 1/2 done']);
    const lines = io.stdoutText().trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('epoch 1/2  batch'))).toHaveLength(9);
    expect(lines.at(-1)).toBe('epoch 1/2 done');
    expect(io.stdoutText()).not.toMatch(escRegExp(String.raw`[\rESC]`));
  });

  it('TTY mode redraws one bar in place, in colour, and clears it before other output', () => {
    const io = memoryIo({ tty: true, columns: 100 });
    const renderer = createRenderer('tty', io);
    for (const state of epochOfProgress(4)) renderer.progress(state);
    renderer.text('after');
    const out = io.stdoutText();
    expect(out.split('\r').length - 1).toBeGreaterThanOrEqual(5);
    expect(out).toMatch(ansi);
    expect(out).toContain('4/4');
    expect(out).toMatch(escRegExp(String.raw`\rESC\[2Kafter\n$`));
  });

  it('never colours with NO_COLOR, nor off a terminal', () => {
    expect(colorEnabled({ write() {}, isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ write() {}, isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ write() {}, isTTY: false }, {})).toBe(false);
    const io = memoryIo({ tty: true, env: { NO_COLOR: '1' } });
    const renderer = createRenderer('tty', io);
    renderer.progress(epochOfProgress(3)[1]!);
    renderer.warn('careful');
    expect(io.stdoutText() + io.stderrText()).not.toMatch(escRegExp(String.raw`ESC\[(?!2K)`));
  });
});

describe('renderDigit', () => {
  const pixels = new Uint8Array(16);
  pixels.set([255, 0, 255, 0], 0); // row 0
  pixels.set([255, 255, 0, 0], 4); // row 1
  pixels.set([0, 0, 0, 255], 12); // row 3

  it('draws two pixel rows per line with half blocks', () => {
    expect(renderDigit(pixels, 4, 4, false)).toEqual(['█▄▀ ', '   ▄']);
  });

  it('uses grey levels when colour is on', () => {
    const lines = renderDigit(pixels, 4, 4, true);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('\u001b[38;5;255m\u001b[48;5;255m▀');
    expect(lines[0]!.endsWith('\u001b[0m')).toBe(true);
  });

  it('puts text beside the drawing', () => {
    expect(besideText(['ab', 'cd'], 2, ['x', 'y', 'z'])).toEqual(['ab  x', 'cd  y', '    z']);
  });
});
