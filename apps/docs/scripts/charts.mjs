// The benchmarks page's charts, drawn at build time from benchmarks.json (the figures the benchmark scripts record):
// one horizontal grouped-bar SVG per section, whatever sections the file holds, and a Markdown fragment with each
// chart, its table, its date and the command that measured it, which benchmarks.md includes. A section that does not
// fit stops the build with a message naming it (checkFigures, next to the one writer of the file).
import { readFile } from 'node:fs/promises';
import { checkFigures, maxColumns } from '../../../bench/figures.mjs';

const palette = ['#3451b2', '#e3793b', '#2f9e6b', '#8e5bd6', '#c2410c', '#0e7490'];
if (palette.length < maxColumns) throw new Error('the chart palette needs one colour per possible column');

function escapeXml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatValue(value) {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : String(value);
}

/** A horizontal bar chart: one group per row, one bar per column, each bar labelled with its value. */
export function barChart(section) {
  const barHeight = 18;
  const groupGap = 14;
  // Widths from the text they hold (about 6.6 px a character at 12 px, 8 px at the title's 14 px bold), so long row
  // names, titles and units are not cut off.
  const labelWidth = Math.max(120, Math.ceil(Math.max(...section.rows.map((row) => row.name.length)) * 6.6) + 16);
  const plotWidth = 420;
  // The legend: three colour keys a line, for sections with more than one column.
  const legendLines = section.columns.length > 1 ? Math.ceil(section.columns.length / 3) : 0;
  const legendHeight = legendLines * 18 + (legendLines > 0 ? 8 : 0);
  const top = 34 + legendHeight;
  const max = Math.max(...section.rows.flatMap((row) => row.values));
  const groupHeight = section.columns.length * barHeight + groupGap;
  const height = top + section.rows.length * groupHeight + 30;
  const width = Math.ceil(
    Math.max(labelWidth + plotWidth + 70, section.title.length * 8 + 10, labelWidth + section.unit.length * 6.6 + 10),
  );
  const parts = [
    `<text x="0" y="18" class="title">${escapeXml(section.title)}</text>`,
    ...(legendLines === 0 ? [] : section.columns).map((column, i) => {
      const x = labelWidth + (i % 3) * 150;
      const y = 30 + Math.floor(i / 3) * 18;
      return `<rect x="${x}" y="${y}" width="12" height="12" fill="${palette[i]}"/><text x="${x + 18}" y="${y + 11}">${escapeXml(column)}</text>`;
    }),
  ];
  section.rows.forEach((row, r) => {
    const y = top + r * groupHeight;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + (section.columns.length * barHeight) / 2 + 4}" text-anchor="end">${escapeXml(row.name)}</text>`,
    );
    row.values.forEach((value, c) => {
      const barWidth = Math.max(1, (value / max) * plotWidth);
      const barY = y + c * barHeight;
      parts.push(
        `<rect x="${labelWidth}" y="${barY}" width="${barWidth.toFixed(1)}" height="${barHeight - 3}" fill="${palette[c]}" data-row="${escapeXml(row.name)}" data-value="${value}"/>`,
        `<text x="${(labelWidth + barWidth + 5).toFixed(1)}" y="${barY + barHeight - 6}">${formatValue(value)}</text>`,
      );
    });
  });
  parts.push(
    `<text x="${labelWidth}" y="${height - 8}" class="unit">${escapeXml(section.unit)}</text>`,
    `<line x1="${labelWidth}" y1="${top - 4}" x2="${labelWidth}" y2="${height - 26}" stroke="#999"/>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`,
    `<title>${escapeXml(section.title)}</title>`,
    '<style>text{font:12px system-ui,sans-serif;fill:#3c3c43}.title{font-weight:600;font-size:14px}.unit{fill:#67676c}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

/** Text for a Markdown table cell: a pipe would end the cell. */
function cell(text) {
  return String(text).replaceAll('|', '\\|');
}

function table(section) {
  const header = `| | ${section.columns.map(cell).join(' | ')} |`;
  const rule = `| --- | ${section.columns.map(() => '---:').join(' | ')} |`;
  const rows = section.rows.map((row) => `| ${cell(row.name)} | ${row.values.map(formatValue).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

/** Reads the figures and returns the SVG of each section and the Markdown fragment that shows them. */
export async function renderBenchmarkCharts(figuresPath, chartUrl) {
  let figures;
  try {
    figures = JSON.parse(await readFile(figuresPath, 'utf8'));
  } catch (error) {
    throw new Error(`${figuresPath}: cannot read the benchmark figures: ${error.message}`);
  }
  const sections = checkFigures(figures, figuresPath);
  const svgs = {};
  const markdown = [];
  for (const [key, section] of sections) {
    svgs[key] = barChart(section);
    const node = section.node ? `, Node.js ${section.node.slice(1)},` : '';
    markdown.push(
      `### ${section.title}`,
      '',
      `![${section.title}](${chartUrl(key)})`,
      '',
      table(section),
      '',
      `${section.unit}. Measured ${section.date} on a ${figures.machine}${node} with \`${section.command}\`.`,
      ...(section.note ? ['', section.note] : []),
      '',
    );
  }
  return { svgs, markdown: markdown.join('\n') };
}
