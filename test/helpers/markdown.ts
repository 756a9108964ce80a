/**
 * Reads Markdown documents the way the tests that keep them true need: sections by heading, and the
 * fenced code blocks in each, exactly as written (so a test runs or compares what a reader copies).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.js';

/** A fenced code block: its info string (`sh`, `ts`, or `''`) and its text, each line ending in `\n`. */
export interface CodeBlock {
  lang: string;
  text: string;
  /** The Markdown lines before the block in its section, for finding a block by what introduces it. */
  before: string;
}

/** A heading and what follows it up to the next heading of any level. */
export interface Section {
  heading: string;
  level: number;
  blocks: CodeBlock[];
}

/** The sections of a Markdown file of the repository, in order; headings inside code blocks are not headings. */
export function markdownSections(file: string): Section[] {
  const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
  const sections: Section[] = [{ heading: '', level: 0, blocks: [] }];
  let fence: { marker: string; lang: string; lines: string[] } | undefined;
  let prose: string[] = [];
  for (const line of lines) {
    const current = sections.at(-1)!;
    if (fence) {
      // A closing fence: at least as long as the opening one, same character, nothing after it.
      if (line.trim().startsWith(fence.marker) && new RegExp(`^\\s{0,3}${fence.marker[0]}{${fence.marker.length},}\\s*$`).test(line)) {
        current.blocks.push({ lang: fence.lang, text: fence.lines.map((text) => `${text}\n`).join(''), before: prose.join('\n') });
        fence = undefined;
        prose = [];
      } else {
        fence.lines.push(line);
      }
      continue;
    }
    const opening = /^\s{0,3}(`{3,}|~{3,})\s*([^`\s]*)/.exec(line);
    if (opening) {
      fence = { marker: opening[1]!, lang: opening[2]!, lines: [] };
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      sections.push({ heading: heading[2]!, level: heading[1]!.length, blocks: [] });
      prose = [];
      continue;
    }
    prose.push(line);
  }
  if (fence) throw new Error(`${file}: a code block is never closed`);
  return sections;
}
