import type { LayerPlan } from './spec.js';

/** A Keras-style table: layer (type), output shape, parameter count, then the totals. */
export function formatSummary(modelName: string, plans: LayerPlan[]): string {
  const rows = plans.map((plan) => {
    const params = plan.weights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
    return [
      `${plan.name} (${plan.spec.type})`,
      `[null, ${plan.outputShape.join(', ')}]`,
      params.toLocaleString('en-US'),
    ];
  });
  const header = ['Layer (type)', 'Output shape', 'Params'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('   ');
  const rule = '─'.repeat(widths.reduce((a, b) => a + b, 0) + 6);
  const count = (trainable: boolean) =>
    plans
      .flatMap((p) => p.weights)
      .filter((w) => w.trainable === trainable)
      .reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);
  const trainable = count(true);
  const nonTrainable = count(false);
  return [
    `Model: ${modelName}`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${(trainable + nonTrainable).toLocaleString('en-US')}`,
    `Trainable params: ${trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${nonTrainable.toLocaleString('en-US')}`,
  ].join('\n');
}
