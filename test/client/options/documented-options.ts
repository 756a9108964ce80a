import { expect } from 'vitest';

/**
 * The option names in the first column of the first `| Option |` table after `marker` in a docs
 * page (each backticked name in the cell; nested ones dotted, as the docs write them).
 */
export function documentedOptions(markdown: string, marker: string): string[] {
  const start = markdown.indexOf(marker);
  expect(start, `"${marker}" is in the docs`).toBeGreaterThanOrEqual(0);
  const lines = markdown.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('| Option'));
  expect(first, `an options table follows "${marker}"`).toBeGreaterThanOrEqual(0);
  const names: string[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    const cell = line.split('|')[1]!;
    names.push(...[...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!));
  }
  return names;
}
