/**
 * What happens next with an authorization request (OIDC Core §3.1.2.1, §3.1.2.3), table by table:
 * `nextStep` over the request, the interaction's progress, the browser's session, the remembered
 * consent and the MFA requirement; the `prompt=none` error of each step (§3.1.2.6); and `decide`,
 * which loads the consent and the MFA requirement from a (memory) store.
 */
import { describe, expect, it } from 'vitest';
import type { ClientRecord, ConsentRecord, MfaFactorRecord, UserRecord } from '../../stores/contract.js';
import { createMemoryStore } from '../../stores/memory/index.js';
import { makeUser } from '../../stores/contract-suite/records.js';
import type { AuthorizationRequest } from '../authorize/request.js';
import type { ServerContext } from '../context.js';
import type { MfaRequirement } from '../mfa/policy.js';
import type { Session } from '../session/sessions.js';
import { ACCOUNT_CLIENT_ID } from './account-client.js';
import { decide, nextStep, promptNoneError, type PendingStep } from './decisions.js';
import type { InteractionState } from './interactions.js';

/** Seconds since the epoch: the decision's "now". */
const NOW = 1_800_000_000;

function authorizationRequest(overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return {
    clientId: 'client-1',
    redirectUri: 'https://app.example/callback',
    redirectUriGiven: true,
    responseMode: 'query',
    scope: ['openid', 'email'],
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    prompt: [],
    acrValues: [],
    uiLocales: [],
    ...overrides,
  };
}

function user(id: string): UserRecord {
  return makeUser({ id, username: id, email: `${id}@example.com`, passwordHash: null, profile: {}, createdAt: 0, updatedAt: 0 });
}

/** A session of `sub`, signed in `age` seconds ago with `amr`; `admin`: the user holds the admin role. */
function session(sub: string, age = 60, amr: string[] = ['pwd'], admin = false): Session {
  const record: UserRecord = { ...user(sub), roles: admin ? ['admin'] : [] };
  return { state: { sid: `sid-${sub}`, sub, authTime: NOW - age, amr, acr: amr.includes('mfa') ? '2' : '1' }, user: record };
}

function consent(scope: string, overrides: Partial<ConsentRecord> = {}): ConsentRecord {
  return { id: `consent-${scope}`, clientId: 'client-1', subject: 'alice', scope, extra: {}, createdAt: 0, updatedAt: 0, revokedAt: null, ...overrides };
}

const earned = (sub: string) => ({ sub, at: (NOW - 5) * 1000 });
const OFF: MfaRequirement = { required: false, enrolled: false };
const REQUIRED: MfaRequirement = { required: true, enrolled: true };
const REQUIRED_NOT_ENROLLED: MfaRequirement = { required: true, enrolled: false };
const ENROLLED_NOT_REQUIRED: MfaRequirement = { required: false, enrolled: true };

interface Case {
  case: string;
  request?: Partial<AuthorizationRequest>;
  progress?: Partial<InteractionState>;
  /** The browser's session; `null`: none. Defaults to alice's, a minute old, by password. */
  session?: Session | null;
  /** The remembered consent's scope; `null`: none. Defaults to covering the request. */
  consent?: string | null;
  mfa?: MfaRequirement;
  /** `accounts.requireVerifiedEmail`. */
  requireVerifiedEmail?: boolean;
  step: PendingStep;
}

/** alice's session, her email address not verified. */
function unverifiedSession(): Session {
  const base = session('alice');
  return { ...base, user: { ...base.user, emailVerified: false } };
}

describe('nextStep', () => {
  const cases: Case[] = [
    // Sign in (OIDC Core §3.1.2.3).
    { case: 'no session', session: null, step: 'login' },
    { case: 'no session, prompt=none (the endpoint answers login_required)', session: null, request: { prompt: ['none'] }, step: 'login' },
    { case: 'a session and consent covering the scopes: nothing to do', step: undefined },
    { case: 'prompt=none with a session and consent: nothing to do', request: { prompt: ['none'] }, step: undefined },
    { case: 'prompt=login', request: { prompt: ['login'] }, step: 'login' },
    { case: 'prompt=login, signed in during this interaction', request: { prompt: ['login'] }, progress: { loggedIn: earned('alice') }, step: undefined },
    {
      case: 'prompt=login, someone else signed in during this interaction',
      request: { prompt: ['login'] },
      progress: { loggedIn: earned('bob') },
      step: 'login',
    },
    { case: '"use another account" chosen', progress: { loginRequested: true }, step: 'login' },
    { case: '"use another account" chosen, then signed in', progress: { loginRequested: true, loggedIn: earned('alice') }, step: undefined },
    // max_age (§3.1.2.1).
    { case: 'max_age=0 (prompt=login), a session signed in this very second', request: { maxAge: 0 }, session: session('alice', 0), step: 'login' },
    {
      case: 'max_age=0, signed in during this interaction',
      request: { maxAge: 0 },
      session: session('alice', 0),
      progress: { loggedIn: earned('alice') },
      step: undefined,
    },
    { case: 'max_age=300, session exactly 300 s old', request: { maxAge: 300 }, session: session('alice', 300), step: undefined },
    { case: 'max_age=300, session 301 s old', request: { maxAge: 300 }, session: session('alice', 301), step: 'login' },
    {
      case: 'max_age=300, session 301 s old, signed in during this interaction',
      request: { maxAge: 300 },
      session: session('alice', 301),
      progress: { loggedIn: earned('alice') },
      step: undefined,
    },
    // id_token_hint (§3.1.2.1).
    { case: 'the hinted user is signed in', request: { hintedSub: 'alice' }, step: undefined },
    { case: 'another user than the hinted one is signed in', request: { hintedSub: 'bob' }, step: 'login' },
    {
      case: 'another user than the hinted one signed in during this interaction',
      request: { hintedSub: 'bob' },
      progress: { loggedIn: earned('alice') },
      step: 'wrong_user',
    },
    { case: 'the hinted user signed in during this interaction', request: { hintedSub: 'alice' }, progress: { loggedIn: earned('alice') }, step: undefined },
    {
      case: 'the hinted user signed in during this interaction, then the session changed to another',
      request: { hintedSub: 'bob' },
      session: session('alice'),
      progress: { loggedIn: earned('bob') },
      step: 'login',
    },
    // Choose the account.
    { case: 'prompt=select_account', request: { prompt: ['select_account'] }, step: 'select_account' },
    { case: 'prompt=select_account, account chosen', request: { prompt: ['select_account'] }, progress: { accountChosen: 'alice' }, step: undefined },
    {
      case: 'prompt=select_account, chosen by another user',
      request: { prompt: ['select_account'] },
      progress: { accountChosen: 'bob' },
      step: 'select_account',
    },
    {
      case: 'prompt=select_account, signed in during this interaction (signing in chooses)',
      request: { prompt: ['select_account'] },
      progress: { loggedIn: earned('alice') },
      step: undefined,
    },
    { case: 'prompt=select_account and no consent: choose first', request: { prompt: ['select_account'] }, consent: null, step: 'select_account' },
    // Second factor.
    { case: 'MFA required, a factor set up, password session', mfa: REQUIRED, step: 'mfa' },
    { case: 'MFA required, session with a second factor', mfa: REQUIRED, session: session('alice', 60, ['pwd', 'otp', 'mfa']), step: undefined },
    { case: 'MFA required, second factor verified during this interaction', mfa: REQUIRED, progress: { mfa: earned('alice') }, step: undefined },
    { case: 'MFA required, second factor verified by another user', mfa: REQUIRED, progress: { mfa: earned('bob') }, step: 'mfa' },
    { case: 'MFA required, no factor, existing session: sign in again before enrolling', mfa: REQUIRED_NOT_ENROLLED, step: 'login' },
    { case: 'MFA not required, a factor set up', mfa: ENROLLED_NOT_REQUIRED, step: undefined },
    { case: 'first factor passed, factor set up: the second', progress: { pendingUser: 'alice' }, session: null, mfa: REQUIRED, step: 'mfa' },
    { case: 'first factor passed, no factor: set one up', progress: { pendingUser: 'alice' }, session: null, mfa: REQUIRED_NOT_ENROLLED, step: 'mfa_enroll' },
    {
      case: 'first factor passed: the second factor comes before prompt=login',
      progress: { pendingUser: 'alice' },
      request: { prompt: ['login'] },
      mfa: REQUIRED,
      step: 'mfa',
    },
    { case: 'MFA required and prompt=login: sign in first', request: { prompt: ['login'] }, mfa: REQUIRED, step: 'login' },
    { case: 'MFA required and no consent: the factor first', mfa: REQUIRED, consent: null, step: 'mfa' },
    // Consent.
    { case: 'no remembered consent', consent: null, step: 'consent' },
    { case: 'remembered consent without a requested scope', consent: 'openid', step: 'consent' },
    { case: 'remembered consent covering more than requested', consent: 'openid email profile', step: undefined },
    { case: 'prompt=consent with remembered consent', request: { prompt: ['consent'] }, step: 'consent' },
    { case: 'prompt=consent, approved during this interaction', request: { prompt: ['consent'] }, progress: { consented: 'alice' }, step: undefined },
    { case: 'prompt=consent, approved by another user', request: { prompt: ['consent'] }, progress: { consented: 'bob' }, step: 'consent' },
    { case: 'prompt=login consent: sign in first', request: { prompt: ['login', 'consent'] }, step: 'login' },
    // A verified email address (accounts.requireVerifiedEmail).
    { case: 'verified email required, unverified: verify it', session: unverifiedSession(), requireVerifiedEmail: true, step: 'verify_email' },
    {
      case: 'verified email required, unverified, no consent: verify first',
      session: unverifiedSession(),
      requireVerifiedEmail: true,
      consent: null,
      step: 'verify_email',
    },
    { case: 'verified email required, already verified', requireVerifiedEmail: true, step: undefined },
    { case: 'verified email not required, unverified', session: unverifiedSession(), step: undefined },
    { case: 'verified email required, no session: sign in first', session: null, requireVerifiedEmail: true, step: 'login' },
    {
      case: 'verified email required, second factor owed: the factor first',
      session: unverifiedSession(),
      requireVerifiedEmail: true,
      mfa: REQUIRED,
      step: 'mfa',
    },
    {
      case: 'verified email required, prompt=login: sign in first',
      session: unverifiedSession(),
      requireVerifiedEmail: true,
      request: { prompt: ['login'] },
      step: 'login',
    },
  ];

  it.each(cases)('$case → $step', ({ request, progress = {}, session: browser, consent: scope, mfa = OFF, requireVerifiedEmail = false, step }) => {
    const current = browser === null ? undefined : (browser ?? session('alice'));
    const remembered = scope === null ? undefined : consent(scope ?? 'openid email');
    expect(nextStep(authorizationRequest(request), progress, current, remembered, NOW, mfa, requireVerifiedEmail)).toBe(step);
  });

  it('treats a missing MFA requirement as none', () => {
    expect(nextStep(authorizationRequest(), {}, session('alice'), consent('openid email'), NOW)).toBeUndefined();
  });
});

describe('promptNoneError (OIDC Core §3.1.2.6)', () => {
  it.each([
    { step: 'login', error: 'login_required' },
    { step: 'wrong_user', error: 'login_required' },
    { step: 'mfa', error: 'interaction_required' },
    { step: 'mfa_enroll', error: 'interaction_required' },
    { step: 'verify_email', error: 'interaction_required' },
    { step: 'select_account', error: 'account_selection_required' },
    { step: 'consent', error: 'consent_required' },
  ] as const)('$step → $error', ({ step, error }) => {
    expect(promptNoneError(step)).toBe(error);
  });
});

describe('decide (loads the consent and the MFA requirement, then asks nextStep)', () => {
  const client: ClientRecord = {
    clientId: 'client-1',
    clientSecretHash: 'hash',
    clientName: 'Example App',
    redirectUris: ['https://app.example/callback'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code'],
    scope: 'openid email profile',
    tokenEndpointAuthMethod: 'client_secret_basic',
    idTokenSignedResponseAlg: 'ES256',
    resources: [],
    isResourceServer: false,
    servedResources: [],
    extra: {},
    createdAt: 0,
    updatedAt: 0,
  };
  const totp = (userId: string, confirmed = true): MfaFactorRecord => ({
    id: `totp-${userId}`,
    userId,
    type: 'totp',
    label: 'App',
    lookup: null,
    data: { confirmed },
    createdAt: 0,
    updatedAt: 0,
    lastUsedAt: null,
  });

  interface Setup {
    policy?: 'off' | 'optional' | 'required';
    consents?: ConsentRecord[];
    factors?: MfaFactorRecord[];
    /** Milliseconds past `NOW` on the clock (the decision works in whole seconds). */
    extraMs?: number;
  }
  async function context({ policy = 'optional', consents = [], factors = [], extraMs = 0 }: Setup = {}) {
    const store = createMemoryStore();
    for (const id of ['alice', 'bob']) await store.users.create(user(id));
    for (const record of consents) await store.consents.create(record);
    for (const factor of factors) await store.factors.create(factor);
    return { store, clock: { now: () => NOW * 1000 + extraMs }, config: { mfa: { policy }, accounts: { requireVerifiedEmail: false } } } as unknown as Pick<
      ServerContext,
      'store' | 'clock' | 'config'
    >;
  }

  const covering = consent('openid email');

  it.each<{
    case: string;
    setup?: Setup;
    session?: Session;
    progress?: Partial<InteractionState>;
    request?: Partial<AuthorizationRequest>;
    given?: ConsentRecord;
    forClient?: ClientRecord;
    step: PendingStep;
    consent: ConsentRecord | undefined;
    /** The scopes granted; default: the request's. */
    scope?: string[];
    userId: string | undefined;
  }>([
    { case: 'no session: sign in, no consent read', setup: { consents: [covering] }, step: 'login', consent: undefined, userId: undefined },
    {
      case: 'a session with stored consent: nothing to do',
      setup: { consents: [covering] },
      session: session('alice'),
      step: undefined,
      consent: covering,
      userId: 'alice',
    },
    {
      case: 'the stored consent is revoked',
      setup: { consents: [{ ...covering, revokedAt: 1 }] },
      session: session('alice'),
      step: 'consent',
      consent: undefined,
      userId: 'alice',
    },
    {
      case: 'the stored consent is for another client',
      setup: { consents: [{ ...covering, clientId: 'client-2' }] },
      session: session('alice'),
      step: 'consent',
      consent: undefined,
      userId: 'alice',
    },
    {
      case: 'the stored consent is another user’s',
      setup: { consents: [{ ...covering, subject: 'bob' }] },
      session: session('alice'),
      step: 'consent',
      consent: undefined,
      userId: 'alice',
    },
    {
      case: 'the consent just recorded is used, not read back',
      session: session('alice'),
      given: covering,
      step: undefined,
      consent: covering,
      userId: 'alice',
    },
    {
      case: 'the account pages need no consent',
      session: session('alice'),
      forClient: { ...client, clientId: ACCOUNT_CLIENT_ID },
      request: { clientId: ACCOUNT_CLIENT_ID, scope: [] },
      step: undefined,
      consent: { id: '', clientId: ACCOUNT_CLIENT_ID, subject: '', scope: '', extra: {}, createdAt: 0, updatedAt: 0, revokedAt: null },
      userId: 'alice',
    },
    // The MFA requirement, loaded for the user it is about.
    {
      case: 'optional policy, a confirmed factor: the second factor',
      setup: { consents: [covering], factors: [totp('alice')] },
      session: session('alice'),
      step: 'mfa',
      consent: covering,
      userId: 'alice',
    },
    {
      case: 'optional policy, a factor, an MFA session',
      setup: { consents: [covering], factors: [totp('alice')] },
      session: session('alice', 60, ['pwd', 'otp', 'mfa']),
      step: undefined,
      consent: covering,
      userId: 'alice',
    },
    {
      case: 'optional policy, an unconfirmed factor only',
      setup: { consents: [covering], factors: [totp('alice', false)] },
      session: session('alice'),
      step: undefined,
      consent: covering,
      userId: 'alice',
    },
    {
      case: 'optional policy, another user’s factor',
      setup: { consents: [covering], factors: [totp('bob')] },
      session: session('alice'),
      step: undefined,
      consent: covering,
      userId: 'alice',
    },
    {
      case: 'policy off, a factor',
      setup: { policy: 'off', consents: [covering], factors: [totp('alice')] },
      session: session('alice'),
      step: undefined,
      consent: covering,
      userId: 'alice',
    },
    {
      case: 'policy required, no factor, existing session: sign in again',
      setup: { policy: 'required', consents: [covering] },
      session: session('alice'),
      step: 'login',
      consent: covering,
      userId: 'alice',
    },
    {
      case: 'client requires MFA, a factor',
      setup: { consents: [covering], factors: [totp('alice')] },
      forClient: { ...client, extra: { require_mfa: true } },
      session: session('alice'),
      step: 'mfa',
      consent: covering,
      userId: 'alice',
    },
    {
      case: 'acr_values=2 (step-up), no factor, existing session',
      setup: { consents: [covering] },
      request: { acrValues: ['2'] },
      session: session('alice'),
      step: 'login',
      consent: covering,
      userId: 'alice',
    },
    {
      case: 'acr_values=1 2 (one factor suffices), no factor',
      setup: { consents: [covering] },
      request: { acrValues: ['1', '2'] },
      session: session('alice'),
      step: undefined,
      consent: covering,
      userId: 'alice',
    },
    // The admin scopes (issue 18): a second factor demanded of everyone, granted to admins only.
    {
      case: 'scope admin, no factor, existing session: sign in again to set one up',
      setup: { consents: [covering] },
      request: { scope: ['openid', 'admin'] },
      session: session('alice'),
      step: 'login',
      consent: covering,
      userId: 'alice',
      scope: ['openid'],
    },
    {
      case: 'scope admin, a factor, no MFA session: the second factor, role or not',
      setup: { consents: [covering], factors: [totp('alice')] },
      request: { scope: ['openid', 'admin'] },
      session: session('alice'),
      step: 'mfa',
      consent: covering,
      userId: 'alice',
      scope: ['openid'],
    },
    {
      case: 'scope admin, an MFA session without the role: left out, the consent covers the rest',
      setup: { consents: [covering], factors: [totp('alice')] },
      request: { scope: ['openid', 'admin'] },
      session: session('alice', 60, ['pwd', 'otp', 'mfa']),
      step: undefined,
      consent: covering,
      userId: 'alice',
      scope: ['openid'],
    },
    {
      case: 'scope admin, an MFA session of an admin: granted, so consent is asked for it',
      setup: { consents: [covering], factors: [totp('alice')] },
      request: { scope: ['openid', 'admin'] },
      session: session('alice', 60, ['pwd', 'otp', 'mfa'], true),
      step: 'consent',
      consent: covering,
      userId: 'alice',
      scope: ['openid', 'admin'],
    },
    {
      case: 'scope admin:read, policy off, an admin: never granted without a second factor',
      setup: { policy: 'off', consents: [covering] },
      request: { scope: ['openid', 'admin:read'] },
      session: session('alice', 60, ['pwd'], true),
      step: undefined,
      consent: covering,
      userId: 'alice',
      scope: ['openid'],
    },
    {
      case: 'first factor passed by bob in alice’s browser, no factor: bob enrols',
      setup: { policy: 'required' },
      session: session('alice'),
      progress: { pendingUser: 'bob' },
      step: 'mfa_enroll',
      consent: undefined,
      userId: 'bob',
    },
    {
      case: 'first factor passed, with a factor: the second',
      setup: { policy: 'required', factors: [totp('bob')] },
      progress: { pendingUser: 'bob' },
      step: 'mfa',
      consent: undefined,
      userId: 'bob',
    },
  ])('$case', async ({ setup, session: browser, progress = {}, request, given, forClient = client, step, consent: expectedConsent, userId, scope }) => {
    const ctx = await context(setup);
    const authorization = authorizationRequest(request);
    const decision = await decide(ctx, {
      authorization,
      client: forClient,
      session: browser,
      progress,
      ...(given ? { consent: given } : {}),
    });
    expect(decision).toEqual({ step, consent: expectedConsent, userId, scope: scope ?? authorization.scope });
  });

  it.each([
    { extraMs: 0, maxAge: 100, step: undefined },
    { extraMs: 999, maxAge: 100, step: undefined },
    { extraMs: 1000, maxAge: 100, step: 'login' },
  ])('max_age against the clock in whole seconds: session 100 s old, +$extraMs ms, max_age=$maxAge → $step', async ({ extraMs, maxAge, step }) => {
    const ctx = await context({ consents: [covering], extraMs });
    const decision = await decide(ctx, { authorization: authorizationRequest({ maxAge }), client, session: session('alice', 100), progress: {} });
    expect(decision.step).toBe(step);
  });
});
