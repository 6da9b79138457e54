import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordFigures } from '../../../bench/figures.mjs';
import { renderBenchmarkCharts } from '../scripts/charts.mjs';

const figuresPath = join(import.meta.dirname, '..', 'benchmarks.json');

describe('the benchmarks charts', () => {
  it('draw one bar per figure of benchmarks.json, with its table, date and command beneath', async () => {
    const figures = JSON.parse(readFileSync(figuresPath, 'utf8'));
    const { svgs, markdown } = await renderBenchmarkCharts(figuresPath, (key: string) => `/charts/${key}.svg`);
    for (const key of ['training', 'timeToAccuracy', 'kernels']) {
      const section = figures[key];
      const bars = [...svgs[key].matchAll(/data-value="([\d.]+)"/g)].map((match) => Number(match[1]));
      expect(bars).toEqual(section.rows.flatMap((row: { values: number[] }) => row.values));
      expect(markdown).toContain(`![${section.title}](/charts/${key}.svg)`);
      expect(markdown).toContain(`Measured ${section.date} on a ${figures.machine} with \`${section.command}\``);
    }
  });

  it('recordFigures replaces one section with today-dated figures and refuses a row that does not fit', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mnist-cnn-figures-')), 'benchmarks.json');
    writeFileSync(path, readFileSync(figuresPath));
    const training = {
      title: 'Training speed',
      unit: 'images/s',
      command: 'pnpm bench:pytorch',
      columns: ['1 core', '2 cores'],
      rows: [{ name: 'mnist-cnn, wasm', values: [1500, 2500] }],
    };
    await recordFigures('training', training, { path, date: new Date('2027-01-02T03:04:05Z') });
    const written = JSON.parse(readFileSync(path, 'utf8'));
    expect(written.training).toEqual({ date: '2027-01-02', ...training });
    expect(written.kernels).toEqual(JSON.parse(readFileSync(figuresPath, 'utf8')).kernels);
    await expect(
      recordFigures('training', { ...training, rows: [{ name: 'short', values: [1] }] }, { path }),
    ).rejects.toThrow(/one finite value per column/);
    await expect(recordFigures('history', training, { path })).rejects.toThrow(/unknown figures section/);
  });
});
