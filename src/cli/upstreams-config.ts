import { ConfigError } from '../core/errors.js';
import { github } from '../client/providers/github.js';
import { gatehouse, gitlab, google, microsoft, oidc } from '../client/providers/oidc.js';
import type { ProviderPreset } from '../client/providers/preset.js';
import type { UpstreamOptions } from '../server/options.js';

/**
 * An upstream as written in `gatehouse.config.json`. The client secret is never in the file: it
 * comes from `GATEHOUSE_UPSTREAM_{ID}_CLIENT_SECRET`.
 */
export interface UpstreamConfig {
  id: string;
  type: 'github' | 'google' | 'microsoft' | 'gitlab' | 'oidc' | 'gatehouse';
  clientId: string;
  label?: string;
  /** `oidc` and `gatehouse`: the issuer. `google`: optional override. */
  issuer?: string;
  /** `microsoft`: tenant id, domain, or common / organizations / consumers. */
  tenant?: string;
  /** `github` (Enterprise Server) and `gitlab` (self-managed): the base URL. */
  baseUrl?: string;
  scopes?: string[];
  keepTokens?: boolean;
}

const UPSTREAM_KEYS = new Set(['id', 'type', 'clientId', 'label', 'issuer', 'tenant', 'baseUrl', 'scopes', 'keepTokens']);

function checkedEntry(entry: unknown): UpstreamConfig {
  const fields = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : undefined;
  if (typeof fields?.id !== 'string' || typeof fields.clientId !== 'string') {
    throw new ConfigError('each upstream needs "id", "type" and "clientId"', 'ERR_INVALID_CONFIG_FILE', 'upstreams');
  }
  return entry as UpstreamConfig;
}

/** The environment variable holding an upstream's client secret. */
function upstreamSecretVariable(id: string): string {
  return `GATEHOUSE_UPSTREAM_${id.toUpperCase().replace(/-/g, '_')}_CLIENT_SECRET`;
}

function preset(config: UpstreamConfig): ProviderPreset {
  const need = (value: string | undefined, name: string): string => {
    if (!value)
      throw new ConfigError(
        `upstream "${config.id}": "${name}" is required for type ${config.type}`,
        'ERR_INVALID_CONFIG_FILE',
        `upstreams.${config.id}.${name}`,
      );
    return value;
  };
  switch (config.type) {
    case 'github':
      return github(config.baseUrl ? { baseUrl: config.baseUrl } : {});
    case 'google':
      return google(config.issuer ? { issuer: config.issuer } : {});
    case 'microsoft':
      return microsoft(config.tenant ? { tenant: config.tenant } : {});
    case 'gitlab':
      return gitlab(config.baseUrl ? { baseUrl: config.baseUrl } : {});
    case 'oidc':
      return oidc(need(config.issuer, 'issuer'), { id: config.id });
    case 'gatehouse':
      return gatehouse(need(config.issuer, 'issuer'));
    default:
      throw new ConfigError(
        `upstream "${config.id}": unknown type "${String((config as { type: unknown }).type)}"`,
        'ERR_INVALID_CONFIG_FILE',
        `upstreams.${config.id}.type`,
      );
  }
}

/**
 * Upstreams from the config file, plus the environment shortcuts `GATEHOUSE_UPSTREAM_GITHUB_CLIENT_ID`
 * and `GATEHOUSE_UPSTREAM_GOOGLE_CLIENT_ID` (each with its `_CLIENT_SECRET`).
 */
export function upstreamsFromConfig(configured: unknown, env: NodeJS.ProcessEnv, mode: 'development' | 'production'): UpstreamOptions[] {
  if (configured !== undefined && !Array.isArray(configured)) {
    throw new ConfigError('"upstreams" must be an array', 'ERR_INVALID_CONFIG_FILE', 'upstreams');
  }
  // Checked before anything reads an entry: `[null]` in the file is a config error, not a crash.
  const list = ((configured ?? []) as unknown[]).map(checkedEntry);
  const labels = { github: 'GitHub', google: 'Google' } as const;
  for (const type of ['github', 'google'] as const) {
    const clientId = env[`GATEHOUSE_UPSTREAM_${type.toUpperCase()}_CLIENT_ID`];
    if (clientId && !list.some((entry) => entry.id === type)) list.push({ id: type, type, clientId, label: labels[type] });
  }
  return list.map((entry) => {
    const unknown = Object.keys(entry).find((key) => !UPSTREAM_KEYS.has(key));
    if (unknown) throw new ConfigError(`upstream "${entry.id}": unknown setting "${unknown}"`, 'ERR_INVALID_CONFIG_FILE', `upstreams.${entry.id}.${unknown}`);
    const secret = env[upstreamSecretVariable(entry.id)];
    const provider = preset(entry);
    const insecure = mode === 'development' && [provider.issuer, provider.metadata?.authorization_endpoint].some((url) => url?.startsWith('http:'));
    return {
      id: entry.id,
      provider,
      clientId: entry.clientId,
      ...(secret ? { clientSecret: secret } : {}),
      ...(entry.label ? { label: entry.label } : {}),
      ...(entry.scopes ? { scopes: entry.scopes } : {}),
      ...(entry.keepTokens ? { keepTokens: true } : {}),
      ...(insecure ? { allowInsecureRequests: true } : {}),
    };
  });
}
