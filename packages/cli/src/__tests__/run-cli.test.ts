import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { memoryIo } from '../io.js';
import { createRenderer, type JsonRecord, type OutputMode, type Renderer } from '../renderer.js';
import { escRegExp } from './fixtures.js';

describe('runCli in-process', () => {
  it('lets a test swap the renderer and capture what a command shows', async () => {
    const records: JsonRecord[] = [];
    const modes: OutputMode[] = [];
    const io = memoryIo();
    const code = await runCli(['info'], {
      io,
      createRenderer: (mode, target) => {
        modes.push(mode);
        const inner = createRenderer(mode, target);
        const capturing: Renderer = {
          ...inner,
          record: (record, human) => {
            records.push(record);
            inner.record(record, human);
          },
        };
        return capturing;
      },
    });
    expect(code).toBe(0);
    expect(modes).toEqual(['plain']);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ type: 'info', dataset: 'mnist', test: { count: 10000 } });
    expect(io.stdoutText()).toContain('test:  10,000 images of 28×28');
  });

  it('draws in grey levels on a terminal, and in plain blocks with NO_COLOR', async () => {
    const tty = memoryIo({ tty: true });
    expect(await runCli(['show', '--count', '1'], { io: tty })).toBe(0);
    expect(tty.stdoutText()).toMatch(escRegExp(String.raw`ESC\[38;5;\d+mESC\[48;5;\d+m▀`));
    const noColor = memoryIo({ tty: true, env: { NO_COLOR: '1' } });
    expect(await runCli(['show', '--count', '1'], { io: noColor })).toBe(0);
    expect(noColor.stdoutText()).not.toContain('\u001b[');
    expect(noColor.stdoutText()).toMatch(/[█▀▄]/);
  });

  it('colours the error label only on a terminal', async () => {
    const tty = memoryIo({ tty: true });
    expect(await runCli(['train', '--epochs', '0'], { io: tty })).toBe(2);
    expect(tty.stderrText()).toMatch(escRegExp(String.raw`^mnist-cnn: ESC\[31merror:ESC\[39m --epochs must be >= 1`));
    const pipe = memoryIo();
    expect(await runCli(['train', '--epochs', '0'], { io: pipe })).toBe(2);
    expect(pipe.stderrText()).toMatch(/^mnist-cnn: error: --epochs must be >= 1/);
  });
});
