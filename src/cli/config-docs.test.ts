import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configurationDoc, envExample, replaceRegion } from './config-docs.js';
import { COMMAND_SETTING_LIST } from './settings.js';

const read = (file: string) => readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');

describe('generated configuration docs are current (npm run docs:config rewrites them)', () => {
  it('docs/configuration.md: the command, scale-out and library settings tables', () => {
    const current = read('docs/configuration.md');
    expect(current, 'docs/configuration.md is stale: run npm run docs:config').toBe(configurationDoc(current));
  });

  it('.env.example', () => {
    expect(read('.env.example'), '.env.example is stale: run npm run docs:config').toBe(envExample());
  });

  it('.env.example sets every variable of the command, and each only once', () => {
    const assigned = [...envExample().matchAll(/^(GATEHOUSE_[A-Z_]+)=/gm)].map((match) => match[1]);
    for (const entry of COMMAND_SETTING_LIST)
      expect(
        assigned.filter((name) => name === entry.command.env),
        entry.command.env,
      ).toHaveLength(1);
  });

  it('refuses a document without the markers instead of writing nothing', () => {
    expect(() => replaceRegion('# no markers\n', 'command-settings', '| a |')).toThrow(/command-settings/);
  });
});
