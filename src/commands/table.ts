// Plain-text (or markdown) tables for the CLI: first column left-aligned, the rest right-aligned.
export function table(header: readonly string[], rows: readonly string[][], markdown = false): string {
  if (markdown) {
    const line = (c: readonly string[]): string => `| ${c.map((v) => v.replaceAll('|', '\\|')).join(' | ')} |`;
    return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (c: readonly string[]): string => c.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
