/**
 * A service calling the reference app's API on its own behalf (client_credentials), as a
 * nightly job or a backend would. Run after `npm start` has created the demo clients:
 *   node dist-examples/machine-client.js
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMachineClient } from 'gatehouse/client';
import type { DemoState } from './demo-state.js';

const dataDir = process.env.GATEHOUSE_DATA_DIR ?? '.gatehouse';
const state = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as DemoState;

const machine = createMachineClient({
  issuer: state.issuer,
  clientId: state.machine.clientId,
  clientSecret: state.machine.clientSecret,
  scopes: ['notes:read'],
  resource: state.apiAudience,
  allowInsecureRequests: true, // the local demo runs on plain http over loopback
});

const response = await machine.fetch(`${state.appUrl}/api/notes`);
const body = (await response.json()) as { notes?: unknown[] };
console.log(response.status, JSON.stringify(body, null, 2));
if (response.ok && body.notes?.length === 0) {
  // A machine token may read every note, but there are none until a user has opened theirs.
  console.log(
    `No notes yet: the app creates a user's notes the first time they open them. Sign in at ${state.appUrl} as the demo user, press "Load my notes from the API", then run this again.`,
  );
}
