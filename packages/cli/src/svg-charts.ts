/** Inline SVG charts for the HTML report: no scripts, no external files. */

/** A named series of (x, y) points drawn as one line. */
export interface LineSeries {
  readonly name: string;
  readonly color: string;
  readonly points: readonly { x: number; y: number }[];
}

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function niceTicks(min: number, max: number, count: number): number[] {
  if (max <= min) return [min];
  const rawStep = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= rawStep) ?? rawStep;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + step * 1e-9; tick += step)
    ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

/** A line chart with axes, ticks and a legend; each point carries `data-x`/`data-y` so tests can read the values. */
export function lineChart(options: {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  yFormat?: (value: number) => string;
  yRange?: [number, number];
}): string {
  const width = 480;
  const height = 280;
  const margin = { left: 56, right: 16, top: 36, bottom: 44 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const all = options.series.flatMap((series) => series.points);
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const xMin = Math.min(...xs, 1);
  const xMax = Math.max(...xs, xMin + 1);
  let [yMin, yMax] = options.yRange ?? [Math.min(...ys, 0), Math.max(...ys, 1e-9)];
  if (yMax <= yMin) yMax = yMin + 1;
  const sx = (x: number): number => margin.left + ((x - xMin) / (xMax - xMin)) * plotWidth;
  const sy = (y: number): number => margin.top + plotHeight - ((y - yMin) / (yMax - yMin)) * plotHeight;
  const format = options.yFormat ?? ((value: number) => round(value));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" id="${escapeXml(options.id)}" data-chart="${escapeXml(options.id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<text x="${width / 2}" y="20" text-anchor="middle" class="chart-title">${escapeXml(options.title)}</text>`,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#ccc"/>`,
  ];
  for (const tick of niceTicks(yMin, yMax, 5)) {
    const y = round(sy(tick));
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(
      `<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" class="tick">${escapeXml(format(tick))}</text>`,
    );
  }
  for (const tick of niceTicks(xMin, xMax, Math.min(10, xMax - xMin)).filter(Number.isInteger)) {
    parts.push(
      `<text x="${round(sx(tick))}" y="${margin.top + plotHeight + 16}" text-anchor="middle" class="tick">${tick}</text>`,
    );
  }
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 6}" text-anchor="middle" class="axis">${escapeXml(options.xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${margin.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 14 ${margin.top + plotHeight / 2})" class="axis">${escapeXml(options.yLabel)}</text>`,
  );
  options.series.forEach((series, index) => {
    const points = series.points.map((p) => `${round(sx(p.x))},${round(sy(p.y))}`).join(' ');
    parts.push(`<g data-series="${escapeXml(series.name)}">`);
    parts.push(`<polyline points="${points}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
    for (const p of series.points) {
      parts.push(
        `<circle cx="${round(sx(p.x))}" cy="${round(sy(p.y))}" r="3" fill="${series.color}" data-x="${p.x}" data-y="${p.y}"><title>${escapeXml(`${series.name}, epoch ${p.x}: ${format(p.y)}`)}</title></circle>`,
      );
    }
    parts.push('</g>');
    const legendX = margin.left + 8 + index * 110;
    parts.push(`<rect x="${legendX}" y="${margin.top + 6}" width="12" height="3" fill="${series.color}"/>`);
    parts.push(`<text x="${legendX + 16}" y="${margin.top + 10}" class="legend">${escapeXml(series.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** A confusion-matrix heat map: rows are true labels, columns predictions, colour the share of the row. */
export function confusionHeatMap(matrix: readonly (readonly number[])[], classNames: readonly string[]): string {
  const n = matrix.length;
  const cell = 40;
  const margin = { left: 64, top: 56 };
  const width = margin.left + n * cell + 12;
  const height = margin.top + n * cell + 12;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" id="confusion-matrix" data-chart="confusion-matrix" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Confusion matrix">`,
    `<text x="${margin.left + (n * cell) / 2}" y="16" text-anchor="middle" class="axis">predicted</text>`,
    `<text x="14" y="${margin.top + (n * cell) / 2}" text-anchor="middle" transform="rotate(-90 14 ${margin.top + (n * cell) / 2})" class="axis">true</text>`,
  ];
  for (let column = 0; column < n; column++) {
    parts.push(
      `<text x="${margin.left + column * cell + cell / 2}" y="${margin.top - 8}" text-anchor="middle" class="tick">${escapeXml(classNames[column] ?? String(column))}</text>`,
    );
  }
  for (let row = 0; row < n; row++) {
    const counts = matrix[row] ?? [];
    const rowTotal = counts.reduce((sum, count) => sum + count, 0);
    parts.push(
      `<text x="${margin.left - 8}" y="${margin.top + row * cell + cell / 2}" text-anchor="end" dominant-baseline="middle" class="tick">${escapeXml(classNames[row] ?? String(row))}</text>`,
    );
    for (let column = 0; column < n; column++) {
      const count = counts[column] ?? 0;
      const share = rowTotal === 0 ? 0 : count / rowTotal;
      const fill =
        row === column
          ? `rgba(34, 139, 34, ${round(0.1 + 0.9 * share)})`
          : `rgba(220, 20, 60, ${round(Math.min(1, share * 5))})`;
      const x = margin.left + column * cell;
      const y = margin.top + row * cell;
      parts.push(
        `<g data-true="${row}" data-predicted="${column}" data-count="${count}"><rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff"/><text x="${x + cell / 2}" y="${y + cell / 2}" text-anchor="middle" dominant-baseline="middle" class="count">${count}</text><title>true ${escapeXml(classNames[row] ?? String(row))}, predicted ${escapeXml(classNames[column] ?? String(column))}: ${count}</title></g>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}
