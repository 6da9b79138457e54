// The one writer of apps/docs/benchmarks.json, the figures the docs site's benchmark charts are drawn from. A benchmark
// script calls recordFigures('training', { … }) with today's figures for its section; the section is replaced whole,
// because the page shows only current figures (the history lives in git).
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const figuresPath = fileURLToPath(new URL('../apps/docs/benchmarks.json', import.meta.url));

const sections = ['training', 'timeToAccuracy', 'kernels'];

/**
 * Replaces one section of the figures file. `figures` is `{ title, unit, command, columns: string[],
 * rows: { name, values: number[] }[] }`; the date is today's.
 */
export async function recordFigures(section, figures, { path = figuresPath, date = new Date() } = {}) {
  if (!sections.includes(section))
    throw new Error(`unknown figures section "${section}"; expected ${sections.join(', ')}`);
  for (const row of figures.rows ?? []) {
    if (row.values?.length !== figures.columns?.length || !row.values.every(Number.isFinite))
      throw new Error(
        `figures row "${row.name}" must have one finite value per column (${figures.columns?.join(', ')})`,
      );
  }
  const all = JSON.parse(await readFile(path, 'utf8'));
  all[section] = { date: date.toISOString().slice(0, 10), ...figures };
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(all, null, 2)}\n`);
  await rename(temporary, path);
}
