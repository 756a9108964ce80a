export { createOAuthClient, type OAuthClient } from './oauth-client.js';
export { createMachineClient, type MachineClient, type MachineClientOptions } from './machine-client.js';
export type { OAuthClientOptions } from './context.js';
export type { AuthorizationUrlOptions, SignInResult } from './sign-in.js';
export type { LogoutOptions } from './logout.js';
export { OAuthProviderError, OAuthValidationError, type ValidationFailure } from './errors.js';
export { SessionExpiredError } from './refresh.js';
export type { Profile } from './profile.js';
export type { DPoPAlgorithm, DPoPOptions, MachineDPoPOptions, SessionDPoPKey } from './dpop.js';
export type { TokenSet } from './token-set.js';
export type { ClientSession, TokenStore, ReleaseLock } from './sessions/session.js';
export type { SessionBinding } from './sessions/binding.js';
export { createMemoryTokenStore } from './sessions/memory-token-store.js';
export * from './providers/index.js';
export {
  appendCookies,
  authRoutes,
  callbackHandler,
  requireUser,
  signInHandler,
  signInRequired,
  signOutHandler,
  withSession,
  type AuthRoutesOptions,
  type CallbackHandlerOptions,
  type FetchHandler,
  type SignInHandlerOptions,
  type SignInRequiredOptions,
  type SignOutHandlerOptions,
  type WithSessionOptions,
} from './glue/fetch.js';
