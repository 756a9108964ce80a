/**
 * A pushed request's `request_uri` is single use (RFC 9126 §4) under concurrency, on every store:
 * of 100 authorization requests presenting it at once, exactly one proceeds to the sign-in; the
 * others get the `invalid_request_uri` page.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS, closeBackends } from '../../helpers/backends.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { authorizeParams, pkce, registerFlowClient, type FlowClient } from '../../helpers/flow.js';
import { basic, encodeForm, startServer, type TestServer } from '../../helpers/server.js';

const N = 100;

afterAll(closeBackends);

describe.each(BACKENDS)('pushed request_uri under concurrency, on $name', (backend) => {
  let t: TestServer;
  let app: FlowClient;
  let close: () => Promise<void>;
  const clock = new FakeClock(T0);

  it('sets up the backend', async () => {
    const opened = await backend.open(clock);
    close = opened.close;
    t = await startServer({ store: opened.store, clock, ...opened.serverOptions });
    app = await registerFlowClient(t);
  });

  afterAll(async () => {
    await t?.server.close();
    await close?.();
  });

  it(`${N} concurrent uses of one request_uri: exactly one authorization proceeds`, async () => {
    const pushed = await t.server.fetch(
      new Request(`${t.issuer}/par`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(app.clientId, app.clientSecret!) },
        body: encodeForm(authorizeParams(app, pkce().challenge)),
      }),
    );
    expect(pushed.status).toBe(201);
    const { request_uri: requestUri } = (await pushed.json()) as { request_uri: string };
    const url = `${t.issuer}/authorize?${new URLSearchParams({ client_id: app.clientId, request_uri: requestUri })}`;
    const responses = await Promise.all(Array.from({ length: N }, () => t.server.fetch(new Request(url))));
    const statuses = responses.map((response) => response.status);
    const proceeded = responses.filter((response) => response.status === 303);
    expect(proceeded).toHaveLength(1);
    expect(proceeded[0]!.headers.get('location')).toMatch(/\/interaction\//);
    expect(statuses.filter((status) => status === 400)).toHaveLength(N - 1);
    await Promise.all(responses.map((response) => response.text()));
  });
});
