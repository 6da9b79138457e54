import { describe, expect, it } from 'vitest';
import { createStyle } from '../style.js';
import { printable, printableLine } from '../terminal-text.js';

describe('printable', () => {
  it('shows every control character of a file-borne string as an escape', () => {
    expect(printable('\u001b[2J\u001b]0;title\u0007seven\r\n\u009b')).toBe(
      '\\x1b[2J\\x1b]0;title\\x07seven\\x0d\\n\\x9b',
    );
    expect(printable('Ankle boot 👢')).toBe('Ankle boot 👢');
  });

  it('keeps the colours our own Style adds, and line breaks, but nothing else', () => {
    const style = createStyle(true);
    const line = `${style.bold('7')} \u001b[2J\u001b]0;x\u0007`;
    expect(printableLine(line)).toBe(`${style.bold('7')} \\x1b[2J\\x1b]0;x\\x07`);
    expect(printableLine('a\nb')).toBe('a\nb');
  });
});
