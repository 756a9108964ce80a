export { messageText, noticeText, SMS_MAX_LENGTH, type Channel, type CodePurpose, type OneTimeCodeMessage, type SecurityNotice, type Sender } from './sender.js';
export { SenderError, type SenderErrorCode } from './sender-error.js';
export {
  createDevOutboxSender,
  readOutbox,
  latestCode,
  type DevOutboxSender,
  type DevOutboxSenderOptions,
  type OutboxEntry,
} from './dev-outbox.js';
export { createSmtpSender, type SmtpSender, type SmtpSenderOptions } from './smtp-sender.js';
export {
  createWebhookSender,
  webhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  type WebhookBody,
  type WebhookSender,
  type WebhookSenderOptions,
} from './webhook-sender.js';
export { createSenders, type ConfiguredSender, type Senders, type SendersConfig } from './create-senders.js';
