// Plain-text tables for the operator commands (cli layer, pure): aligned columns, multi-line cells.

/**
 * Renders rows under a header, columns separated by two spaces and padded to the widest cell; the last column
 * is not padded. A cell may hold several lines: the row then takes several lines, the other columns blank on
 * the continuation lines. Every line ends with "\n"; trailing spaces are removed.
 */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const columns = header.length;
  const split = (cell: string | undefined) => (cell ?? "").split("\n");
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => Math.max(...split(row[column]).map((line) => line.length)))),
  );
  const line = (cells: readonly string[]) =>
    `${cells
      .map((cell, column) => (column === columns - 1 ? cell : cell.padEnd(widths[column] as number)))
      .join("  ")
      .trimEnd()}\n`;
  let out = line(header);
  for (const row of rows) {
    const cellLines = header.map((_, column) => split(row[column]));
    const height = Math.max(...cellLines.map((lines) => lines.length));
    for (let i = 0; i < height; i++) out += line(cellLines.map((lines) => lines[i] ?? ""));
  }
  return out;
}
