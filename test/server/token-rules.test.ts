/**
 * The small rules behind token validity, table by table: the audience a token request yields
 * (RFC 8707, RFC 9068 §4) and whether a consent's tokens-not-before time ends a token family.
 */
import { describe, expect, it } from 'vitest';
import { endedByTokensNotBefore, TOKENS_NOT_BEFORE, withTokensNotBefore } from '../../src/server/consent.js';
import type { ServerContext } from '../../src/server/context.js';
import { resolveAudience } from '../../src/server/resource-indicators.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { makeClient, makeConsent } from '../helpers/records.js';
import { T0 } from '../helpers/fake-clock.js';

const ISSUER = 'https://id.example';
const API = 'https://api.example';
const OTHER = 'https://other.example';

describe('resolveAudience (RFC 8707 §2; RFC 9068 §4 for UserInfo)', () => {
  const client = makeClient({ resources: [API, OTHER] });
  const cases: { name: string; resources: string[]; defaultAudience: string; scope: string[]; audience: string[] }[] = [
    { name: 'no resource, default audience = issuer', resources: [], defaultAudience: ISSUER, scope: ['openid'], audience: [ISSUER] },
    {
      name: 'no resource, default audience = API, openid: the issuer too',
      resources: [],
      defaultAudience: API,
      scope: ['openid', 'email'],
      audience: [API, ISSUER],
    },
    { name: 'no resource, default audience = API, no openid: the API only', resources: [], defaultAudience: API, scope: ['read'], audience: [API] },
    { name: 'a registered resource, openid: that resource only', resources: [API], defaultAudience: ISSUER, scope: ['openid'], audience: [API] },
    { name: 'two resources, repeated: each once', resources: [API, OTHER, API], defaultAudience: ISSUER, scope: [], audience: [API, OTHER] },
    { name: 'the default audience named as resource', resources: [ISSUER], defaultAudience: ISSUER, scope: ['openid'], audience: [ISSUER] },
  ];
  const server = (defaultAudience: string) => ({
    config: { issuer: ISSUER, tokens: { defaultAudience } } as ServerContext['config'],
    store: createMemoryStore(),
  });
  it.each(cases)('$name', async ({ resources, defaultAudience, scope, audience }) => {
    expect(await resolveAudience(server(defaultAudience), client, { requested: resources, scope })).toEqual(audience);
  });

  it.each(['https://unregistered.example', 'not a uri', `${API}#fragment`])('refuses %s with invalid_target', async (resource) => {
    await expect(resolveAudience(server(ISSUER), client, { requested: [resource], scope: [] })).rejects.toThrow(
      expect.objectContaining({ error: 'invalid_target' }),
    );
  });
});

describe("a consent's tokens-not-before time", () => {
  const marked = makeConsent({ extra: { [TOKENS_NOT_BEFORE]: T0 } });
  const cases: { name: string; extra: Record<string, number>; familyIssuedAt: number | undefined; ended: boolean }[] = [
    { name: 'none recorded: nothing ended', extra: {}, familyIssuedAt: T0 - 1, ended: false },
    { name: 'none recorded, family start unknown: nothing ended', extra: {}, familyIssuedAt: undefined, ended: false },
    { name: 'family began before: ended', extra: { [TOKENS_NOT_BEFORE]: T0 }, familyIssuedAt: T0 - 1, ended: true },
    { name: 'family began in the same millisecond: ended', extra: { [TOKENS_NOT_BEFORE]: T0 }, familyIssuedAt: T0, ended: true },
    { name: 'family began after: stands', extra: { [TOKENS_NOT_BEFORE]: T0 }, familyIssuedAt: T0 + 1, ended: false },
    { name: 'family start unknown (stored before it was recorded): ended', extra: { [TOKENS_NOT_BEFORE]: T0 }, familyIssuedAt: undefined, ended: true },
  ];
  it.each(cases)('$name', ({ extra, familyIssuedAt, ended }) => {
    expect(endedByTokensNotBefore(makeConsent({ extra }), familyIssuedAt)).toBe(ended);
  });

  it('only ever moves forward, and keeps the rest of extra', () => {
    const consent = makeConsent({ extra: { note: 'kept', [TOKENS_NOT_BEFORE]: T0 } });
    expect(withTokensNotBefore(consent, T0 - 5_000).extra).toEqual({ note: 'kept', [TOKENS_NOT_BEFORE]: T0 });
    expect(withTokensNotBefore(consent, T0 + 5_000).extra).toEqual({ note: 'kept', [TOKENS_NOT_BEFORE]: T0 + 5_000 });
    expect(withTokensNotBefore(marked, T0 + 1).updatedAt).toBe(T0 + 1);
  });
});
