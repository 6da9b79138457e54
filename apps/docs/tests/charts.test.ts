import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordFigures } from '../../../bench/figures.mjs';
import { renderBenchmarkCharts } from '../scripts/charts.mjs';

const figuresPath = join(import.meta.dirname, '..', 'benchmarks.json');
const chartUrl = (key: string) => `/charts/${key}.svg`;

type Section = { title: string; date: string; command: string; node?: string; rows: { values: number[] }[] };

function barValues(svg: string): number[] {
  return [...svg.matchAll(/data-value="([\d.]+)"/g)].map((match) => Number(match[1]));
}

/** A copy of today's benchmarks.json in a temp folder, changed by `edit`. */
function figuresCopy(edit: (figures: Record<string, unknown>) => void = () => {}): string {
  const path = join(mkdtempSync(join(tmpdir(), 'mnist-cnn-figures-')), 'benchmarks.json');
  const figures = JSON.parse(readFileSync(figuresPath, 'utf8'));
  edit(figures);
  writeFileSync(path, JSON.stringify(figures));
  return path;
}

const inference = {
  title: 'Inference speed, batch 256',
  unit: 'images/s',
  command: 'mnist-cnn bench --json',
  columns: ['wasm', 'cpu'],
  rows: [{ name: 'mnist-cnn', values: [5700, 500] }],
};

describe('the benchmarks charts', () => {
  it('draw one bar per figure of every section of benchmarks.json, with its table, date, Node and command', async () => {
    const figures = JSON.parse(readFileSync(figuresPath, 'utf8'));
    const { svgs, markdown } = await renderBenchmarkCharts(figuresPath, chartUrl);
    const sections = Object.keys(figures).filter((key) => key !== '$comment' && key !== 'machine');
    expect(sections).toEqual(expect.arrayContaining(['training', 'timeToAccuracy', 'kernels']));
    expect(Object.keys(svgs).sort()).toEqual([...sections].sort());
    for (const key of sections) {
      const section: Section = figures[key];
      expect(barValues(svgs[key]!)).toEqual(section.rows.flatMap((row) => row.values));
      expect(markdown).toContain(`![${section.title}](/charts/${key}.svg)`);
      const node = section.node ? `, Node.js ${section.node.slice(1)},` : '';
      expect(markdown).toContain(`Measured ${section.date} on a ${figures.machine}${node} with \`${section.command}\``);
    }
  });

  it('draw a section the page did not know of, after the known ones, and put each table beneath its chart', async () => {
    const path = figuresCopy((figures) => {
      figures.inference = { date: '2027-01-02', node: 'v24.1.0', ...inference };
      figures.memory = { date: '2027-01-02', ...inference, title: 'Peak memory', unit: 'MB' };
    });
    const { svgs, markdown } = await renderBenchmarkCharts(path, chartUrl);
    expect(barValues(svgs.inference!)).toEqual([5700, 500]);
    const order = ['training', 'inference', 'timeToAccuracy', 'kernels', 'memory'].map((key) =>
      markdown.indexOf(`(/charts/${key}.svg)`),
    );
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const afterChart = markdown.slice(markdown.indexOf('(/charts/inference.svg)'));
    expect(afterChart.indexOf('| mnist-cnn | 5,700 | 500 |')).toBeLessThan(afterChart.indexOf('Node.js 24.1.0'));
  });

  it.each([
    [
      'a missing command',
      (figures: Record<string, Section>) => delete (figures.kernels as Partial<Section>).command,
      /"kernels" command must be a non-empty string/,
    ],
    [
      'a row short of a value',
      (figures: Record<string, Section>) => figures.training!.rows[0]!.values.pop(),
      /"training" row "[^"]+" must have one finite value ≥ 0 per column/,
    ],
    [
      'a value written as text',
      (figures: Record<string, Section>) => ((figures.timeToAccuracy!.rows[0]!.values as unknown[])[0] = '40.8'),
      /"timeToAccuracy" row .* one finite value/,
    ],
    [
      'a section that is not an object',
      (figures: Record<string, unknown>) => (figures.inference = 'soon'),
      /"inference" must be an object/,
    ],
    [
      'a date that is not a date',
      (figures: Record<string, Section>) => (figures.kernels!.date = 'today'),
      /"kernels" date must be YYYY-MM-DD/,
    ],
  ])('stop the build, naming the file and the section, on %s', async (_, edit, message) => {
    const path = figuresCopy(edit as (figures: Record<string, unknown>) => void);
    const failure = renderBenchmarkCharts(path, chartUrl);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toThrow(path);
  });

  it('recordFigures replaces one section with today-dated figures and the Node version, and refuses what does not fit', async () => {
    const path = figuresCopy();
    await recordFigures('inference', inference, { path, date: new Date('2027-01-02T03:04:05Z') });
    const written = JSON.parse(readFileSync(path, 'utf8'));
    expect(written.inference).toEqual({ date: '2027-01-02', node: process.version, ...inference });
    expect(written.kernels).toEqual(JSON.parse(readFileSync(figuresPath, 'utf8')).kernels);
    const { svgs } = await renderBenchmarkCharts(path, chartUrl);
    expect(barValues(svgs.inference!)).toEqual([5700, 500]);
    await expect(
      recordFigures('training', { ...inference, rows: [{ name: 'short', values: [1] }] }, { path }),
    ).rejects.toThrow(/one finite value ≥ 0 per column/);
    await expect(recordFigures('history', inference, { path })).rejects.toThrow(/unknown figures section/);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(written);
  });
});
