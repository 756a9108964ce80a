/**
 * `token.issued`: every successful token response is audited with the client, the grant, the
 * granted scope, whether a refresh token came with it, and, for a user's tokens, the user.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventRecord } from '../../../src/stores/contract.js';
import { authorize, expectTokens, redeemCode, refresh, startFlow, testUsers, type Flow } from '../../helpers/flow.js';

beforeAll(async () => {
  await testUsers();
});

/** The newest `token.issued` events, oldest first, once the audit queue is written. */
async function issuedEvents(flow: Flow): Promise<AuditEventRecord[]> {
  await flow.server.server.close();
  return (await flow.server.store.audit.tail(10, 'token.issued')).sort((a, b) => a.seq - b.seq);
}

describe('token.issued audit events', () => {
  it("name the user for a user's tokens: the code redemption and each refresh", async () => {
    const flow = await startFlow();
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid offline_access' });
    const first = await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
    await expectTokens(await refresh(flow.server, flow.client, first.refresh_token!));

    const events = await issuedEvents(flow);
    expect(events.map((event) => [event.subject, event.clientId, event.details])).toEqual([
      [flow.users.alice.record.id, flow.client.clientId, { grant_type: 'authorization_code', scope: 'openid offline_access', with_refresh: true }],
      [flow.users.alice.record.id, flow.client.clientId, { grant_type: 'refresh_token', scope: 'openid offline_access', with_refresh: true }],
    ]);
  });

  it("name no user for a client's own tokens (client_credentials)", async () => {
    const flow = await startFlow();
    const machine = await flow.server.register({ scope: 'read' });
    await flow.server.issueToken(machine, { scope: 'read' });

    const [event] = await issuedEvents(flow);
    expect(event).toMatchObject({
      clientId: machine.clientId,
      subject: null,
      details: { grant_type: 'client_credentials', scope: 'read', with_refresh: false },
    });
  });
});
