import { describe, expect, it } from 'vitest';
import { makeClient } from '../../stores/contract-suite/records.js';
import { actorClaim, exchangedScope, holdsSubjectToken, MAX_ACTORS, tokenExchangePolicy } from './token-exchange.js';
import type { ActorClaim } from '../tokens/access-token.js';

const ISSUER = 'https://id.example.com';

describe('tokenExchangePolicy', () => {
  it.each([
    [{}, { impersonation: false }],
    [{ token_exchange: { impersonation: true } }, { impersonation: true }],
    [{ token_exchange: { impersonation: 'yes' } }, { impersonation: false }],
    [{ token_exchange: ['impersonation'] }, { impersonation: false }],
    [{ token_exchange: null }, { impersonation: false }],
  ])('reads %j as %j, anything malformed as nothing allowed', (extra, policy) => {
    expect(tokenExchangePolicy(makeClient({ extra: extra }))).toEqual(policy);
  });
});

describe('holdsSubjectToken', () => {
  const api = makeClient({ clientId: 'notes-api', isResourceServer: true, servedResources: ['https://notes.example/', ISSUER] });
  it.each([
    ['its own access token', { type: 'access_token', issuedTo: ['notes-api'], audience: ['https://other.example/'] }, true],
    ['its own ID token', { type: 'id_token', issuedTo: ['notes-api'], audience: ['notes-api'] }, true],
    ["another client's token for the API it serves", { type: 'access_token', issuedTo: ['app'], audience: ['https://notes.example/'] }, true],
    [
      "another client's token for several APIs, one of them its own",
      { type: 'access_token', issuedTo: ['app'], audience: ['https://x.example/', 'https://notes.example/'] },
      true,
    ],
    ["another client's token for another API", { type: 'access_token', issuedTo: ['app'], audience: ['https://calendar.example/'] }, false],
    ["another client's token for the issuer (never served by a client)", { type: 'access_token', issuedTo: ['app'], audience: [ISSUER] }, false],
    ["another client's ID token", { type: 'id_token', issuedTo: ['app'], audience: ['https://notes.example/'] }, false],
  ] as const)('%s: %s', (_, token, holds) => {
    expect(holdsSubjectToken(api, { ...token, issuedTo: [...token.issuedTo], audience: [...token.audience] }, ISSUER)).toBe(holds);
  });
});

describe('actorClaim (RFC 8693 §4.1)', () => {
  const chain = (...subs: string[]): ActorClaim | undefined =>
    subs.reduceRight<ActorClaim | undefined>((act, sub) => ({ sub, ...(act ? { act } : {}) }), undefined);
  it.each([
    ['delegation: the client is the actor', undefined, false, chain('api')],
    ['delegation again: prior actors nested', chain('app'), false, chain('api', 'app')],
    ['a longer chain', chain('b', 'a'), false, chain('api', 'b', 'a')],
    ['the same actor twice in a row is named once', chain('api', 'app'), false, chain('api', 'app')],
    ['impersonation: no actor', undefined, true, undefined],
    ['impersonation keeps a delegation already recorded', chain('app'), true, chain('app')],
  ])('%s', (_, subjectAct, impersonate, expected) => {
    expect(actorClaim('api', subjectAct, impersonate)).toEqual(expected);
  });

  it(`refuses a chain longer than ${MAX_ACTORS} actors`, () => {
    const long = chain(...Array.from({ length: MAX_ACTORS }, (_, i) => `actor-${i}`));
    expect(() => actorClaim('api', long, false)).toThrow(expect.objectContaining({ error: 'invalid_request' }));
    expect(actorClaim('api', chain(...Array.from({ length: MAX_ACTORS - 1 }, (_, i) => `actor-${i}`)), false)).toBeDefined();
  });
});

describe('exchangedScope', () => {
  it.each([
    ['none asked: the subject scope the client may have', [], ['a', 'b', 'c'], ['a', 'b'], ['a', 'b']],
    ['narrowed', ['a'], ['a', 'b'], ['a', 'b'], ['a']],
    ['the same', ['a', 'b'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b']],
    ['nothing in common', [], ['c'], ['a'], []],
  ])('%s', (_, requested, subject, client, expected) => {
    expect(exchangedScope(requested, subject, client)).toEqual(expected);
  });

  it.each([
    ['wider than the subject token', ['a', 'c'], ['a'], ['a', 'c']],
    ['beyond the client', ['b'], ['a', 'b'], ['a']],
  ])('refuses a scope %s (invalid_scope)', (_, requested, subject, client) => {
    expect(() => exchangedScope(requested, subject, client)).toThrow(expect.objectContaining({ error: 'invalid_scope' }));
  });
});
