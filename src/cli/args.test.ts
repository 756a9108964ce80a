import { describe, expect, it } from 'vitest';
import { parseCommand } from './args.js';
import { UsageError } from './io.js';

const OPTIONS = { name: { type: 'string' }, grant: { type: 'string', multiple: true }, force: { type: 'boolean', default: false } } as const;

describe('parseCommand', () => {
  it.each([
    ['an unknown long option', ['--nmae', 'x'], 'unknown option --nmae'],
    ['an unknown short option', ['-x'], 'unknown option -x'],
    ['an unknown short option among known ones', ['-hx'], 'unknown option -x'],
    ['a string option without its value', ['--name'], '--name needs a value'],
    ['a repeatable option without its value', ['--grant', 'a', '--grant'], '--grant needs a value'],
    ['a string option followed by another flag', ['--name', '--force'], '--name needs a value; one starting with "-" is written --name=VALUE'],
    ['a value for a switch', ['--force=yes'], '--force takes no value'],
    ['a value for a common switch', ['--json=1'], '--json takes no value'],
    ['a value for help', ['--help=me'], '--help takes no value'],
  ])('%s: a UsageError in our words', (_name, args, message) => {
    let error: unknown;
    try {
      parseCommand(args, OPTIONS);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(message);
  });

  it.each([
    ['flags and positionals', ['pos', '--name', 'App', '--force'], { name: 'App', force: true }, ['pos']],
    ['a value attached with =', ['--name=-dash'], { name: '-dash' }, []],
    ['a lone dash as a value', ['--name', '-'], { name: '-' }, []],
    ['repeated values', ['--grant', 'a', '--grant=b'], { grant: ['a', 'b'] }, []],
    ['after --, anything is positional', ['--', '--name'], {}, ['--name']],
    ['the common flags', ['--data', 'd', '--dev', '--json', '-h'], { data: 'd', dev: true, json: true, help: true }, []],
  ])('%s', (_name, args, values, positionals) => {
    const parsed = parseCommand(args, OPTIONS);
    expect(parsed.values).toMatchObject(values);
    expect(parsed.positionals).toEqual(positionals);
  });
});
