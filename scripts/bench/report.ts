// The benchmark's output: a Markdown table (metric | value | how measured) followed by the machine line.

export interface Row {
  metric: string;
  value: string;
  how: string;
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = ["| metric | value | how measured |", "|---|---|---|"];
  for (const row of rows) lines.push(`| ${cell(row.metric)} | ${cell(row.value)} | ${cell(row.how)} |`);
  return lines.join("\n");
}
