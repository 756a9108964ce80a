/**
 * A command-line app that signs its user in with the device authorization grant (RFC 8628), as a
 * TV, a CLI or any device without a handy browser does: it asks Gatehouse for a code, prints it
 * with the address where the user enters it (on a phone or a computer), polls until the user has
 * allowed it, then calls UserInfo with the access token. It uses openid-client (v6), which
 * validates the ID token and handles `authorization_pending` and `slow_down` itself.
 *
 * Register it once as a public client for the device grant:
 *   gatehouse clients add --name "Device CLI" --auth-method none \
 *     --grant urn:ietf:params:oauth:grant-type:device_code --grant refresh_token
 * then, with Gatehouse running:
 *   node dist-examples/device-cli/main.js --issuer http://127.0.0.1:3000 --client-id CLIENT_ID
 */
import { parseArgs } from 'node:util';
import * as oidc from 'openid-client';

const { values } = parseArgs({
  options: {
    issuer: { type: 'string', default: process.env.GATEHOUSE_ISSUER ?? 'http://127.0.0.1:3000' },
    'client-id': { type: 'string', default: process.env.DEVICE_CLIENT_ID },
    scope: { type: 'string', default: 'openid profile email' },
  },
});
const clientId = values['client-id'];
if (clientId === undefined) {
  console.error('Usage: node dist-examples/device-cli/main.js --issuer URL --client-id CLIENT_ID [--scope "openid profile email"]');
  process.exit(2);
}

const issuer = new URL(values.issuer);
// Plain http only on loopback (a local Gatehouse); anywhere else openid-client insists on https.
const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
const config = await oidc.discovery(issuer, clientId, undefined, oidc.None(), loopback ? { execute: [oidc.allowInsecureRequests] } : {});

const device = await oidc.initiateDeviceAuthorization(config, { scope: values.scope });
console.log(`To sign in, open ${device.verification_uri} and enter the code ${device.user_code}`);
if (device.verification_uri_complete !== undefined) console.log(`(or open ${device.verification_uri_complete} and confirm the code)`);
console.log(`The code works for ${Math.round(device.expires_in / 60)} minutes. Waiting for you to allow this device...`);

try {
  const tokens = await oidc.pollDeviceAuthorizationGrant(config, device);
  const claims = tokens.claims();
  if (claims === undefined) throw new Error('no ID token: ask for the openid scope');
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  console.log(`Signed in. UserInfo: ${JSON.stringify(userinfo)}`);
} catch (error) {
  // access_denied (the user refused), expired_token (too late): say so in one line.
  if (error instanceof oidc.ResponseBodyError) {
    console.error(`Not signed in: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`);
    process.exit(1);
  }
  throw error;
}
