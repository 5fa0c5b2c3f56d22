// The plain-text tables the command-line tools print: columns padded to their widest cell, two spaces apart.

/** Lines of a table whose first row is the header; columns listed in `rightAligned` are padded on the left. */
export function formatTable(rows: string[][], rightAligned: number[] = []): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (rightAligned.includes(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}
