/**
 * A small YAML reader for the configuration examples the docs commit (Filebeat, Vector, Prometheus
 * rules): block mappings and sequences, `- key: value` items, `|` and `>` block scalars, quoted and
 * plain scalars, one-line `[a, b]` lists, comments. No anchors, tags, flow mappings nor documents:
 * what it does not read, it refuses, so an example it cannot follow fails its test.
 */

interface Line {
  indent: number;
  text: string;
  /** Index in the raw lines, for block scalars. */
  at: number;
}

/** Parses `source`; throws on what this reader does not support. */
export function parseYaml(source: string): unknown {
  const raw = source.replace(/\r\n/g, '\n').split('\n');
  const lines: Line[] = [];
  raw.forEach((line, at) => {
    const text = stripComment(line).trimEnd();
    if (text.trim() === '' || text.trim() === '---') return;
    if (/^\s*(&|\*|!|\{)/.test(text.trim().replace(/^- /, ''))) throw new Error(`line ${at + 1}: unsupported YAML: ${line}`);
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), at });
  });
  let pos = 0;

  const blockScalar = (style: string, ownerIndent: number, at: number): string => {
    const body: string[] = [];
    let i = at + 1;
    for (; i < raw.length; i++) {
      const line = raw[i]!;
      if (line.trim() !== '' && line.length - line.trimStart().length <= ownerIndent) break;
      body.push(line);
    }
    while (pos < lines.length && lines[pos]!.at < i) pos++;
    while (body.length > 0 && body.at(-1)!.trim() === '') body.pop();
    const cut = Math.min(...body.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length));
    const dedented = body.map((line) => line.slice(cut));
    const text = style.startsWith('>') ? dedented.join(' ').replace(/ {2,}/g, ' ') : dedented.join('\n');
    return style.endsWith('-') ? text : `${text}\n`;
  };

  const value = (text: string, ownerIndent: number, at: number): unknown => {
    if (/^[|>][-+]?$/.test(text)) return blockScalar(text, ownerIndent, at);
    if (text === '') {
      const next = lines[pos];
      if (next && (next.indent > ownerIndent || (next.indent === ownerIndent && next.text.startsWith('-')))) return block(next.indent);
      return null;
    }
    return scalar(text);
  };

  const mapping = (indent: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    while (pos < lines.length && lines[pos]!.indent === indent && !isItem(lines[pos]!.text)) {
      const line = lines[pos++]!;
      const split = splitKey(line.text);
      if (!split) throw new Error(`line ${line.at + 1}: expected "key: value", got ${line.text}`);
      out[split.key] = value(split.rest, indent, line.at);
    }
    return out;
  };

  const sequence = (indent: number): unknown[] => {
    const out: unknown[] = [];
    while (pos < lines.length && lines[pos]!.indent === indent && isItem(lines[pos]!.text)) {
      const line = lines[pos]!;
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        pos++;
        out.push(value('', indent, line.at));
      } else if (splitKey(rest)) {
        // "- key: value": a mapping whose keys line up with this first one.
        const itemIndent = indent + line.text.length - rest.length;
        lines[pos] = { indent: itemIndent, text: rest, at: line.at };
        out.push(mapping(itemIndent));
      } else {
        pos++;
        out.push(value(rest, indent, line.at));
      }
    }
    return out;
  };

  const block = (indent: number): unknown => (isItem(lines[pos]!.text) ? sequence(indent) : mapping(indent));

  if (lines.length === 0) return null;
  const result = block(lines[0]!.indent);
  if (pos < lines.length) throw new Error(`line ${lines[pos]!.at + 1}: unexpected indentation: ${lines[pos]!.text}`);
  return result;
}

const isItem = (text: string) => text === '-' || text.startsWith('- ');

/** `key: rest` (the key plain or quoted), or undefined when the text is not a mapping entry. */
function splitKey(text: string): { key: string; rest: string } | undefined {
  const quoted = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')\s*:(?:\s+|$)(.*)$/.exec(text);
  if (quoted) return { key: scalar(quoted[1]!) as string, rest: quoted[2]! };
  const plain = /^([^\s"'[\]{},#][^:#]*?)\s*:(?:\s+|$)(.*)$/.exec(text);
  return plain ? { key: plain[1]!, rest: plain[2]! } : undefined;
}

function scalar(text: string): unknown {
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith("'")) {
    if (!text.endsWith("'")) throw new Error(`unterminated string: ${text}`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new Error(`unsupported multi-line list: ${text}`);
    const inner = text.slice(1, -1).trim();
    return inner === '' ? [] : (inner.match(/"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^,]+/g) ?? []).map((item) => scalar(item.trim())).filter((item) => item !== '');
  }
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/** The line without a comment: `#` at the start or after a space, outside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote) {
      if (char === '\\' && quote === '"') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      if (i === 0 || /[\s:[,-]/.test(line[i - 1]!)) quote = char;
    } else if (char === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}
