/** Small helpers shared by the benchmarks. */

/** Value of `--name VALUE` on the command line. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Rows of (name, images/s or a reason), with the ratio to `reference`. */
export function table(rows: [string, number | string][], reference: number, referenceName: string): string {
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows
    .map(([name, v]) => {
      if (typeof v !== 'number') return `${name.padEnd(width)}  ${v}`;
      const ratio = Number.isFinite(reference) && reference > 0 ? `  ${(v / reference).toFixed(2)}× ${referenceName}` : '';
      return `${name.padEnd(width)}  ${v.toFixed(0).padStart(8)} img/s${ratio}`;
    })
    .join('\n');
}
