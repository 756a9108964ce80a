export { createAuthorizationServer, type AuthorizationServer } from './authorization-server.js';
export type { AuthorizationServerOptions } from './options.js';
export { OAuthError, ConfigError, type OAuthErrorCode, type ConfigErrorCode } from '../core/errors.js';
