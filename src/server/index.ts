export { createAuthorizationServer, type AuthorizationServer } from './authorization-server.js';
export type { AuthorizationServerOptions } from './options.js';
export { OAuthError, ConfigError, type OAuthErrorCode, type ConfigErrorCode } from '../core/errors.js';
export type { UpstreamOptions } from './options.js';
export {
  createDevOutboxSender,
  createSmtpSender,
  createWebhookSender,
  type Sender,
  type OneTimeCodeMessage,
  type SecurityNotice,
  type EmailMessage,
  type EmailTemplate,
} from './mfa/senders/index.js';
