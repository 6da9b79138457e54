/**
 * Draws a grayscale image in the terminal with Unicode half blocks: each character cell shows two pixel rows.
 * With colour, the upper pixel is the foreground and the lower the background of `▀`, in the 24 grey levels of the
 * 256-colour palette; without colour, blocks are drawn where the ink is at least half strength.
 */
export function renderDigit(pixels: ArrayLike<number>, width: number, height: number, color: boolean): string[] {
  const lines: string[] = [];
  for (let y = 0; y < height; y += 2) {
    let line = '';
    for (let x = 0; x < width; x++) {
      const upper = pixels[y * width + x] ?? 0;
      const lower = y + 1 < height ? (pixels[(y + 1) * width + x] ?? 0) : 0;
      line += color ? colourCell(upper, lower) : monochromeCell(upper, lower);
    }
    lines.push(color ? `${line}\u001b[0m` : line);
  }
  return lines;
}

function monochromeCell(upper: number, lower: number): string {
  const top = upper >= 128;
  const bottom = lower >= 128;
  if (top && bottom) return '█';
  if (top) return '▀';
  if (bottom) return '▄';
  return ' ';
}

function grey(value: number): number {
  // 232…255 run from near-black to near-white; 16 is true black for empty paper.
  return value < 8 ? 16 : 232 + Math.min(23, Math.floor((value / 256) * 24));
}

function colourCell(upper: number, lower: number): string {
  return `\u001b[38;5;${grey(upper)}m\u001b[48;5;${grey(lower)}m▀`;
}

/** Places text lines to the right of drawing lines, padding the drawing to `width` columns. */
export function besideText(art: readonly string[], width: number, text: readonly string[], gap = 2): string[] {
  const rows = Math.max(art.length, text.length);
  const lines: string[] = [];
  for (let row = 0; row < rows; row++) {
    const left = art[row] ?? ' '.repeat(width);
    const right = text[row];
    lines.push(right === undefined ? left : `${left}${' '.repeat(gap)}${right}`);
  }
  return lines;
}
