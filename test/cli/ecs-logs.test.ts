/**
 * GATEHOUSE_LOG_FORMAT=ecs through the real binary: the lines `gatehouse start` writes on stdout (a
 * request's log line, an audit event, the start line) are Elastic Common Schema, every field of
 * the ECS type it is declared with, nothing outside ECS but under `gatehouse.`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ecsProblems } from '../helpers/ecs-fields.js';
import { basicAuth, createWorkspace, killAll, pollUntil, startServer } from '../helpers/cli.js';

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('gatehouse start with GATEHOUSE_LOG_FORMAT=ecs', () => {
  const workspace = createWorkspace();
  afterAll(async () => {
    await killAll();
    workspace.remove();
  });

  it('writes ECS lines: a request log line and an audit event validate against the ECS field types', async () => {
    const server = await startServer({
      cwd: workspace.cwd,
      dataDir: workspace.dataDir,
      dev: true,
      env: { GATEHOUSE_LOG_FORMAT: 'ecs', GATEHOUSE_LOG_LEVEL: 'info' },
    });
    // A client that does not exist: an audit event (client.authentication_failed) with the
    // request's address and user agent. X-Forwarded-For from loopback with no trusted proxy: a
    // warning about that request, naming its peer.
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth('no-such-client', 'no-such-secret'),
        'user-agent': 'ecs-test/1.0',
        'x-forwarded-for': '198.51.100.9',
      },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(401);
    const audit = await pollUntil(async () => jsonLines(server.output().stdout).find((line) => line['event.action'] === 'client.authentication_failed'), {
      what: 'the audit line',
    });
    const lines = jsonLines(server.output().stdout);
    const request = lines.find((line) => line['event.action'] === 'proxy.unconfigured');
    const started = lines.find((line) => line.message === 'gatehouse started');
    expect(await server.stop()).toBe(0);

    expect(audit).toMatchObject({
      'log.level': 'info',
      'event.kind': 'event',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.outcome': 'failure',
      'event.reason': expect.any(String),
      'client.ip': '127.0.0.1',
      'source.ip': '127.0.0.1',
      'user_agent.original': 'ecs-test/1.0',
      'http.request.id': expect.any(String),
      'service.name': 'gatehouse',
      gatehouse: { audit: true, details: expect.any(Object) },
    });
    expect(request).toMatchObject({ 'log.level': 'warn', 'client.ip': '127.0.0.1' });
    expect(started).toMatchObject({ gatehouse: { issuer: server.issuer, port: server.port, mode: 'development' } });
    for (const line of [audit, request!, started!]) expect(ecsProblems(line), JSON.stringify(line)).toEqual([]);
    // Every line of the run, not only those three.
    for (const line of lines.filter((line) => 'log.level' in line)) expect(ecsProblems(line), JSON.stringify(line)).toEqual([]);
    // The sequence the audit chain gave it, in ECS as a number.
    expect(typeof audit['event.sequence']).toBe('number');
  }, 60_000);
});
