// The one writer of apps/docs/benchmarks.json, the figures the docs site's benchmark charts are drawn from, and the one
// definition of what a section of it must hold. A benchmark script calls recordFigures('training', { … }) with today's
// figures for its section; the section is replaced whole, because the page shows only current figures (the history
// lives in git). The site's build draws every section it finds and stops on one that does not fit (checkFigures).
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const figuresPath = fileURLToPath(new URL('../apps/docs/benchmarks.json', import.meta.url));

/** The sections benchmark scripts write, in the order the benchmarks page shows them. */
export const sectionNames = ['training', 'inference', 'timeToAccuracy', 'stepTime', 'kernels'];

/** Top-level keys of benchmarks.json that are not sections. */
const metadataKeys = new Set(['$comment', 'machine']);

/** The most bars a group may have: one colour each. */
export const maxColumns = 6;

/** A benchmarks.json that does not hold what the charts need; the message names the file, the section and the field. */
export class FiguresFormatError extends Error {
  code = 'FIGURES_FORMAT';
  name = 'FiguresFormatError';
}

const isText = (value) => typeof value === 'string' && value.trim() !== '';

/** The problems of one section, as phrases ("command must be …"); empty when it fits. */
function sectionProblems(section) {
  if (typeof section !== 'object' || section === null || Array.isArray(section))
    return ['must be an object with date, command, title, unit, columns and rows'];
  const problems = [];
  if (typeof section.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(section.date))
    problems.push(`date must be YYYY-MM-DD, not ${JSON.stringify(section.date)}`);
  for (const field of ['command', 'title', 'unit'])
    if (!isText(section[field])) problems.push(`${field} must be a non-empty string`);
  if (section.node !== undefined && !(typeof section.node === 'string' && /^v\d+\.\d+\.\d+$/.test(section.node)))
    problems.push(`node must be a Node.js version such as "v24.1.0", not ${JSON.stringify(section.node)}`);
  if (section.note !== undefined && !isText(section.note)) problems.push('note, when present, must be a string');
  const { columns, rows } = section;
  if (!Array.isArray(columns) || columns.length === 0 || columns.length > maxColumns || !columns.every(isText)) {
    problems.push(`columns must be 1 to ${maxColumns} non-empty strings`);
    return problems;
  }
  if (!Array.isArray(rows) || rows.length === 0) {
    problems.push('rows must be a non-empty array of { name, values }');
    return problems;
  }
  rows.forEach((row, i) => {
    const label = isText(row?.name) ? `row "${row.name}"` : `row ${i + 1}`;
    if (!isText(row?.name)) problems.push(`${label} must have a non-empty name`);
    const values = row?.values;
    if (
      !Array.isArray(values) ||
      values.length !== columns.length ||
      !values.every((v) => Number.isFinite(v) && v >= 0)
    )
      problems.push(
        `${label} must have one finite value ≥ 0 per column (${columns.join(', ')}), not ${JSON.stringify(values)}`,
      );
  });
  if (problems.length === 0 && !rows.some((row) => row.values.some((value) => value > 0)))
    problems.push('at least one value must be above 0');
  return problems;
}

function fail(where, name, problems) {
  throw new FiguresFormatError(`${where}: section "${name}" ${problems.join('; ')}`);
}

/**
 * Checks a whole parsed benchmarks.json and returns its sections as [name, section] pairs in page order (the known
 * ones first, then any others by name). Throws FiguresFormatError naming `where` and the section on the first that
 * does not fit.
 */
export function checkFigures(all, where = figuresPath) {
  if (typeof all !== 'object' || all === null || Array.isArray(all))
    throw new FiguresFormatError(`${where}: expected a JSON object of sections`);
  if (!isText(all.machine)) throw new FiguresFormatError(`${where}: "machine" must say what the figures ran on`);
  const names = Object.keys(all).filter((key) => !metadataKeys.has(key));
  for (const name of names) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(name)) fail(where, name, ['must be named in camelCase (it names a chart file)']);
    const problems = sectionProblems(all[name]);
    if (problems.length > 0) fail(where, name, problems);
  }
  const rank = (name) => (sectionNames.includes(name) ? sectionNames.indexOf(name) : sectionNames.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((name) => [name, all[name]]);
}

/**
 * Replaces one section of the figures file. `figures` is `{ title, unit, command, columns: string[],
 * rows: { name, values: number[] }[], note? }`; the date is today's and `node` the Node.js version running the script.
 */
export async function recordFigures(section, figures, { path = figuresPath, date = new Date() } = {}) {
  if (!sectionNames.includes(section))
    throw new FiguresFormatError(`unknown figures section "${section}"; expected ${sectionNames.join(', ')}`);
  const entry = { date: date.toISOString().slice(0, 10), node: process.version, ...figures };
  const problems = sectionProblems(entry);
  if (problems.length > 0) fail(path, section, problems);
  const all = JSON.parse(await readFile(path, 'utf8'));
  all[section] = entry;
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(all, null, 2)}\n`);
  await rename(temporary, path);
}
