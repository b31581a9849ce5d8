/**
 * Lines of a table for a terminal: the header and each row, every column padded to its widest
 * cell and the columns two spaces apart (the last column not padded, so no line ends in spaces).
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  return [line(header), ...rows.map(line)];
}

/** Partition numbers as short ranges: [0, 1, 2, 5, 7, 8] is "0-2,5,7-8"; none is "-". */
export function partRanges(parts: readonly number[]): string {
  const sorted = [...parts].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end += 1;
    ranges.push(end === start ? String(sorted[start]) : `${sorted[start]}-${sorted[end]}`);
    start = end + 1;
  }
  return ranges.length === 0 ? '-' : ranges.join(',');
}
