export type { ProviderPreset, ProfileContext } from './preset.js';
export { oidc, gatehouse, google, microsoft, gitlab } from './oidc.js';
export { github, type GitHubOptions } from './github.js';
export { oauth2, type OAuth2ProviderOptions } from './oauth2.js';
