import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMessages } from './catalogs.js';

const dirs: string[] = [];

/** A languages directory holding `files` (name → content). */
function languagesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-locales-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadMessages: the operator’s messages from languages.dir, read and checked once', () => {
  it('overrides a built-in message and adds a language, the rest of which stays English', () => {
    const dir = languagesDir({
      'de.json': JSON.stringify({ 'login.title': 'Einloggen', 'login.continueWith': 'Mit {provider} fortfahren' }),
      'nl.json': JSON.stringify({ 'language.name': 'Nederlands', 'login.title': 'Inloggen' }),
    });
    const messages = loadMessages(dir, 'nl');
    expect(messages.locales).toEqual(['en', 'de', 'fr', 'es', 'pt-BR', 'ja', 'ar', 'nl']);
    const de = messages.translator('de');
    expect(de.text('login.title')).toBe('Einloggen');
    expect(de.t('login.continueWith', { provider: '<GitHub>' }).value).toBe('Mit &lt;GitHub&gt; fortfahren');
    expect(de.text('login.password')).toBe('Passwort');
    const nl = messages.translator('nl');
    expect(nl.text('login.title')).toBe('Inloggen');
    expect(nl.text('login.password')).toBe('Password');
    expect(nl.languages.at(-1)).toEqual({ locale: 'nl', name: 'Nederlands' });
  });

  it('no directory, or a missing one: the built-in messages', () => {
    expect(loadMessages(undefined, 'en').locales).toHaveLength(7);
    expect(loadMessages(join(tmpdir(), 'gatehouse-no-such-dir'), 'en').locales).toHaveLength(7);
  });

  it.each([
    ['an unknown key', { 'de.json': JSON.stringify({ 'login.titel': 'Einloggen' }) }, /de\.json: message login\.titel is not a message of Gatehouse/],
    [
      'a placeholder mismatch',
      { 'de.json': JSON.stringify({ 'login.continueWith': 'Weiter mit {anbieter}' }) },
      /de\.json: message login\.continueWith uses \{anbieter\}; English uses \{provider\}/,
    ],
    [
      'a message that is not ICU',
      { 'fr.json': JSON.stringify({ 'login.title': 'Connexion {' }) },
      /fr\.json: message login\.title is not valid ICU MessageFormat/,
    ],
    ['a file that is not JSON', { 'es.json': '{ "login.title": ' }, /es\.json is not valid JSON/],
    ['a file that is not an object', { 'es.json': '["Entrar"]' }, /es\.json must be a JSON object of messages by key/],
    ['a name that is no language', { 'german.txt': '{}' }, /german\.txt must be named <language>\.json/],
  ])('refuses %s, naming the file and key', (_name, files, message) => {
    const dir = languagesDir(files);
    expect(() => loadMessages(dir, 'en')).toThrow(
      expect.objectContaining({ name: 'ConfigError', option: 'languages.dir', message: expect.stringMatching(message) as unknown }),
    );
  });

  it('refuses a default language that is not offered', () => {
    expect(() => loadMessages(undefined, 'nl')).toThrow(expect.objectContaining({ option: 'languages.default' }));
  });
});
