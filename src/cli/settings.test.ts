import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { COMMAND_SETTING_LIST, ENV_VARS, readCommandSetting, serverSettingsFrom, type CommandKey } from './settings.js';

describe("readCommandSetting: a variable's text, a flag or a file value", () => {
  it.each<[CommandKey, unknown, unknown]>([
    ['port', '8080', 8080],
    ['port', ' 8080 ', 8080],
    ['port', 8080, 8080],
    ['port', undefined, 3000],
    ['port', '', 3000],
    ['trustedProxies', '10.0.0.1, 10.0.0.2 192.168.0.0/16', ['10.0.0.1', '10.0.0.2', '192.168.0.0/16']],
    ['trustedProxies', ['10.0.0.1'], ['10.0.0.1']],
    ['operatorAllowList', undefined, ['127.0.0.0/8', '::1/128']],
    ['scopes', 'notes:read,notes:write', ['notes:read', 'notes:write']],
    ['forwardedHeader', 'Forwarded', 'forwarded'],
    ['mode', 'development', 'development'],
    ['accessTokenSigningAlg', 'RS256', 'RS256'],
    ['issuer', undefined, undefined],
    ['issuer', 'https://id.example.com', 'https://id.example.com'],
    ['productName', undefined, 'Gatehouse'],
    ['redisPrefix', undefined, '{gatehouse}:'],
    ['logLevel', 'debug', 'debug'],
    ['logFormat', undefined, 'json'],
    ['logFormat', 'ecs', 'ecs'],
    ['adminPath', undefined, '/admin'],
    ['adminPath', '/ops', '/ops'],
    ['adminApi', undefined, true],
  ])('%s: %j reads as %j', (key, raw, expected) => {
    expect(readCommandSetting(key, raw)).toEqual(expected);
  });

  it.each<[CommandKey, unknown, string]>([
    ['mode', 'dev', 'mode (GATEHOUSE_ENV) must be one of production, development, got "dev"'],
    ['accessTokenSigningAlg', 'HS256', 'accessTokenSigningAlg (GATEHOUSE_ACCESS_TOKEN_ALG) must be one of ES256, RS256, got "HS256"'],
    ['forwardedHeader', 'x-real-ip', 'forwardedHeader (GATEHOUSE_FORWARDED_HEADER) must be one of x-forwarded-for, forwarded, got "x-real-ip"'],
    ['logFormat', 'logstash', 'logFormat (GATEHOUSE_LOG_FORMAT) must be one of json, ecs, got "logstash"'],
    ['mfaPolicy', 'always', 'mfaPolicy (GATEHOUSE_MFA_POLICY) must be one of off, optional, required, got "always"'],
    ['port', '70000', 'port (GATEHOUSE_PORT) must be a whole number from 0 to 65535, got "70000"'],
    ['workers', '0', 'workers (GATEHOUSE_WORKERS) must be a whole number from 1 to 256, got "0"'],
    ['dbStatementTimeoutMs', '-1', 'dbStatementTimeoutMs (GATEHOUSE_DB_STATEMENT_TIMEOUT) must be a whole number from 0 to 3600000, got "-1"'],
    ['dbQueryTimeoutMs', '0', 'dbQueryTimeoutMs (GATEHOUSE_DB_QUERY_TIMEOUT) must be a whole number from 1 to 3600000, got "0"'],
    ['dbConnectionTimeoutMs', '1.5', 'dbConnectionTimeoutMs (GATEHOUSE_DB_CONNECTION_TIMEOUT) must be a whole number from 1 to 600000, got "1.5"'],
    ['redisCommandTimeoutMs', '0', 'redisCommandTimeoutMs (GATEHOUSE_REDIS_COMMAND_TIMEOUT) must be a whole number from 1 to 60000, got "0"'],
    ['redisCommandTimeoutMs', '1s', 'redisCommandTimeoutMs (GATEHOUSE_REDIS_COMMAND_TIMEOUT) must be a whole number from 1 to 60000, got "1s"'],
    ['sqliteBusyTimeoutMs', '-1', 'sqliteBusyTimeoutMs (GATEHOUSE_SQLITE_BUSY_TIMEOUT) must be a whole number from 0 to 600000, got "-1"'],
    ['smtpTimeoutMs', '0', 'smtpTimeoutMs (GATEHOUSE_SMTP_TIMEOUT) must be a whole number from 1 to 300000, got "0"'],
    ['smsWebhookTimeoutMs', '300001', 'smsWebhookTimeoutMs (GATEHOUSE_SMS_WEBHOOK_TIMEOUT) must be a whole number from 1 to 300000, got "300001"'],
    ['upstreamTimeoutMs', 'soon', 'upstreamTimeoutMs (GATEHOUSE_UPSTREAM_TIMEOUT) must be a whole number from 1 to 300000, got "soon"'],
    ['primaryColor', 'blue', 'primaryColor (GATEHOUSE_PRIMARY_COLOR) must be a colour like #2f5bea, got "blue"'],
    ['logoUrl', 'logo.svg', 'logoUrl (GATEHOUSE_LOGO_URL) must be an absolute URL, got "logo.svg"'],
    ['scopes', 'read "quoted"', 'scopes (GATEHOUSE_SCOPES) must be a valid scope token (RFC 6749 §3.3), got ""quoted""'],
    ['logLevel', 'verbose', 'logLevel (GATEHOUSE_LOG_LEVEL) must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
    [
      'adminPath',
      '/metrics',
      'adminPath (GATEHOUSE_ADMIN_PATH) must not share its first segment with a path the server already serves (/metrics), got "/metrics"',
    ],
    ['adminPath', 'ops/', 'adminPath (GATEHOUSE_ADMIN_PATH) must be a path such as /admin'],
  ])('%s: refuses %j', (key, raw, message) => {
    const read = () => readCommandSetting(key, raw);
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });

  it('never repeats a credential in the error', () => {
    expect(() => readCommandSetting('metricsToken', 'short secret')).toThrow(
      /^metricsToken \(GATEHOUSE_METRICS_TOKEN\) must be at least 16 printable characters without spaces$/,
    );
    expect(() => readCommandSetting('secret', 'too-short-secret')).toThrow(/^secret \(GATEHOUSE_SECRET\) must be at least 32 characters$/);
  });

  it('keeps every variable name the command has always read', () => {
    expect(Object.values(ENV_VARS).sort()).toEqual(
      [
        'GATEHOUSE_ENV',
        'GATEHOUSE_DATA_DIR',
        'GATEHOUSE_ISSUER',
        'GATEHOUSE_HOST',
        'GATEHOUSE_PORT',
        'GATEHOUSE_SECRET',
        'GATEHOUSE_ACCESS_TOKEN_TTL',
        'GATEHOUSE_ACCESS_TOKEN_ALG',
        'GATEHOUSE_DEFAULT_AUDIENCE',
        'GATEHOUSE_SCOPES',
        'GATEHOUSE_ID_TOKEN_TTL',
        'GATEHOUSE_REFRESH_TOKEN_TTL',
        'GATEHOUSE_REFRESH_TOKEN_REUSE_GRACE',
        'GATEHOUSE_DEVICE_CODE_TTL',
        'GATEHOUSE_DPOP_NONCE',
        'GATEHOUSE_DPOP_PROOF_MAX_AGE',
        'GATEHOUSE_DEVICE_CODE_INTERVAL',
        'GATEHOUSE_SESSION_TTL',
        'GATEHOUSE_PRODUCT_NAME',
        'GATEHOUSE_LOGO_URL',
        'GATEHOUSE_PRIMARY_COLOR',
        'GATEHOUSE_LOG_LEVEL',
        'GATEHOUSE_LOG_FORMAT',
        'GATEHOUSE_MAX_BODY_BYTES',
        'GATEHOUSE_REQUEST_DEADLINE',
        'GATEHOUSE_KEY_REFRESH_INTERVAL',
        'GATEHOUSE_MFA_POLICY',
        'GATEHOUSE_SMTP_URL',
        'GATEHOUSE_SMTP_FROM',
        'GATEHOUSE_SMS_WEBHOOK_URL',
        'GATEHOUSE_SMS_WEBHOOK_SECRET',
        'GATEHOUSE_TRUSTED_PROXIES',
        'GATEHOUSE_FORWARDED_HEADER',
        'GATEHOUSE_OPERATOR_ALLOWLIST',
        'GATEHOUSE_METRICS_TOKEN',
        'GATEHOUSE_TLS_CERT',
        'GATEHOUSE_TLS_KEY',
        'GATEHOUSE_AUDIT_FILE',
        'GATEHOUSE_AUDIT_MAX_QUEUED_EVENTS',
        'GATEHOUSE_DATABASE_URL',
        'GATEHOUSE_DATABASE_SCHEMA',
        'GATEHOUSE_DB_POOL_SIZE',
        'GATEHOUSE_DB_STATEMENT_TIMEOUT',
        'GATEHOUSE_REDIS_URL',
        'GATEHOUSE_REDIS_PREFIX',
        'GATEHOUSE_WORKERS',
        // The deadlines of outgoing calls.
        'GATEHOUSE_DB_QUERY_TIMEOUT',
        'GATEHOUSE_DB_CONNECTION_TIMEOUT',
        'GATEHOUSE_SQLITE_BUSY_TIMEOUT',
        'GATEHOUSE_REDIS_COMMAND_TIMEOUT',
        'GATEHOUSE_SMTP_TIMEOUT',
        'GATEHOUSE_SMS_WEBHOOK_TIMEOUT',
        'GATEHOUSE_UPSTREAM_TIMEOUT',
        // The node server's timeouts.
        'GATEHOUSE_HTTP_HEADERS_TIMEOUT',
        'GATEHOUSE_HTTP_REQUEST_TIMEOUT',
        'GATEHOUSE_HTTP_KEEP_ALIVE_TIMEOUT',
        // The account lifecycle.
        'GATEHOUSE_SIGN_UP',
        'GATEHOUSE_SIGN_UP_DOMAINS',
        'GATEHOUSE_REQUIRE_VERIFIED_EMAIL',
        'GATEHOUSE_SIGN_UP_CLAIMS',
        'GATEHOUSE_PASSWORD_MIN_LENGTH',
        'GATEHOUSE_PASSWORD_MIN_SCORE',
        'GATEHOUSE_PASSWORDLESS',
        'GATEHOUSE_INVITATION_TTL',
        'GATEHOUSE_PASSWORD_RESET_TTL',
        'GATEHOUSE_DELETION_GRACE_DAYS',
        'GATEHOUSE_PROOF_OF_WORK',
        // The account emails.
        'GATEHOUSE_EMAIL_TEMPLATES_DIR',
        'GATEHOUSE_DEFAULT_LANGUAGE',
        'GATEHOUSE_LANGUAGES_DIR',
        // Traces (issue 18).
        'GATEHOUSE_OTEL',
        // The admin API and console (issue 18).
        'GATEHOUSE_ADMIN_API',
        'GATEHOUSE_ADMIN_CONSOLE',
        'GATEHOUSE_ADMIN_PATH',
        // Dynamic client registration (issue 19).
        'GATEHOUSE_REGISTRATION',
        // Client metadata documents (issue 19).
        'GATEHOUSE_CLIENT_METADATA_DOCUMENTS',
        'GATEHOUSE_CLIENT_METADATA_MIN_CACHE',
        'GATEHOUSE_CLIENT_METADATA_MAX_CACHE',
        'GATEHOUSE_CLIENT_METADATA_FAILURE_CACHE',
        'GATEHOUSE_CLIENT_METADATA_CACHE_ENTRIES',
        'GATEHOUSE_CLIENT_METADATA_MAX_BYTES',
        'GATEHOUSE_CLIENT_METADATA_TIMEOUT',
        'GATEHOUSE_UNSAFE_FETCH_ALLOWLIST',
        'GATEHOUSE_UNSAFE_FETCH_ALLOW_HTTP',
        // Pushed authorization requests (issue 20).
        'GATEHOUSE_REQUIRE_PAR',
        'GATEHOUSE_PAR_REQUEST_URI_TTL',
        // Back-channel logout (issue 20).
        'GATEHOUSE_BACKCHANNEL_LOGOUT_ATTEMPTS',
        'GATEHOUSE_BACKCHANNEL_LOGOUT_RETRY_DELAY',
        'GATEHOUSE_BACKCHANNEL_LOGOUT_TIMEOUT',
        'GATEHOUSE_BACKCHANNEL_LOGOUT_POLL_INTERVAL',
      ].sort(),
    );
    expect(
      COMMAND_SETTING_LIST.filter((entry) => entry.command.credential)
        .map((entry) => entry.key)
        .sort(),
    ).toEqual(['databaseUrl', 'metricsToken', 'redisUrl', 'secret', 'smsWebhookSecret', 'smtpUrl'].sort());
  });
});

describe("serverSettingsFrom: the command's settings as library options", () => {
  it('nests each where the schema puts it and leaves out what is unset and what the library does not take', () => {
    expect(
      serverSettingsFrom({
        mode: 'development',
        sessionTtl: 120,
        keyRefreshInterval: 5,
        mfaPolicy: 'required',
        auditFile: '/var/log/audit.jsonl',
        defaultAudience: undefined,
        port: 3000,
        workers: 2,
      }),
    ).toEqual({
      mode: 'development',
      sessions: { ttl: 120 },
      keys: { refreshInterval: 5 },
      mfa: { policy: 'required' },
      audit: { file: '/var/log/audit.jsonl' },
    });
  });
});

describe('the deadlines of outgoing calls', () => {
  it("the command's defaults are the library's", async () => {
    const { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } = await import('../stores/redis/connect.js');
    const { DEFAULT_SQLITE_BUSY_TIMEOUT_MS } = await import('../stores/sqlite/sqlite-store.js');
    const { DEFAULT_HTTP_TIMEOUT_MS } = await import('../core/deadline-fetch.js');
    expect(readCommandSetting('redisCommandTimeoutMs', undefined)).toBe(DEFAULT_REDIS_COMMAND_TIMEOUT_MS);
    expect(readCommandSetting('sqliteBusyTimeoutMs', undefined)).toBe(DEFAULT_SQLITE_BUSY_TIMEOUT_MS);
    expect(readCommandSetting('upstreamTimeoutMs', undefined)).toBe(DEFAULT_HTTP_TIMEOUT_MS);
    // The senders' and the PostgreSQL store's defaults, as their option docs state them.
    expect(readCommandSetting('smtpTimeoutMs', undefined)).toBe(10_000);
    expect(readCommandSetting('smsWebhookTimeoutMs', undefined)).toBe(5000);
    expect(readCommandSetting('dbQueryTimeoutMs', undefined)).toBe(4000);
    expect(readCommandSetting('dbConnectionTimeoutMs', undefined)).toBe(3000);
  });

  it("the node server's timeouts default to what the server uses without settings", async () => {
    const { DEFAULT_HTTP_TIMEOUTS } = await import('./http-server.js');
    expect({
      headersMs: readCommandSetting('httpHeadersTimeoutMs', undefined),
      requestMs: readCommandSetting('httpRequestTimeoutMs', undefined),
      keepAliveMs: readCommandSetting('httpKeepAliveTimeoutMs', undefined),
    }).toEqual(DEFAULT_HTTP_TIMEOUTS);
  });

  it('reads a variable as milliseconds', () => {
    expect(readCommandSetting('redisCommandTimeoutMs', ' 250 ')).toBe(250);
    expect(readCommandSetting('sqliteBusyTimeoutMs', '0')).toBe(0);
    expect(readCommandSetting('dbQueryTimeoutMs', 2000)).toBe(2000);
  });
});
