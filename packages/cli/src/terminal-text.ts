// C0 controls, DEL and C1 controls: a file-borne string holding them could clear the screen, move the cursor or set
// the window title when printed raw.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this file's purpose
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/g;
// Our own styling (Style) only ever emits SGR sequences, ESC [ digits/semicolons m.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this file's purpose
const styledOrControl = /\u001b\[[0-9;]*m|[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

function visible(character: string): string {
  if (character === '\n') return '\\n';
  if (character === '\t') return '\\t';
  return `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** A file-borne string (class name, layer name, path) made safe to print: every control character shown as `\xNN`. */
export function printable(text: string): string {
  return text.replace(controlCharacters, visible);
}

/**
 * Text on its way to a terminal: keeps line breaks and the colour codes our `Style` added, and makes every other control
 * character visible.
 */
export function printableLine(line: string): string {
  return line.replace(styledOrControl, (match) => (match.length > 1 ? match : visible(match)));
}
