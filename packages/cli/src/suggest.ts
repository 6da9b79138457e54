/** Edit distance counting a swap of two neighbouring letters as one edit (`trian` → `train` is 1). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate the user most likely meant: the closest within a typo's reach (one edit for short words, two for
 * longer ones), or else the only candidate that starts with what was typed (`--batch` → `--batch-size`).
 */
export function nearestName(typed: string, candidates: readonly string[]): string | undefined {
  const reach = typed.length <= 3 ? 1 : 2;
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(typed, name);
    if (distance <= reach && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  if (best) return best.name;
  const extensions = candidates.filter((name) => name.startsWith(typed));
  return extensions.length === 1 ? extensions[0] : undefined;
}
