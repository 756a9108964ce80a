export { type EmailMessage, type EmailTemplate, type OneTimeCodeMessage, type SecurityNotice, type Sender } from './sender.js';
export { createDevOutboxSender, readOutbox, latestCode, type OutboxEntry } from './dev-outbox.js';
export { createSmtpSender } from './smtp-sender.js';
export { createWebhookSender } from './webhook-sender.js';
export { createSenders, type Senders } from './create-senders.js';
