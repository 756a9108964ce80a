/**
 * The two log formats of `gatehouse start`, built as the command builds them: `json` is pino's
 * JSON as before; `ecs` is Elastic Common Schema, errors in `error.*`, secrets still redacted.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCommandLogger } from '../../../src/server/observability/ecs-log.js';
import { ecsProblems } from '../../helpers/ecs-fields.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { stream, raw: () => lines, lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const auditFields = {
  audit: true,
  seq: 4,
  type: 'rate_limit.hit',
  outcome: 'failure',
  request_id: 'req-9',
  client_id: null,
  subject: null,
  ip: '203.0.113.9',
  user_agent: 'curl/8',
  details: { limiter: 'loginPerIp', password: 'hunter2-never-logged' },
  prev_hash: 'a',
  hash: 'b',
  event_time: '2026-01-01T00:00:00.000Z',
};

describe('createCommandLogger', () => {
  it('json: the pino JSON lines of before, unchanged', async () => {
    const { stream, lines } = capture();
    const logger = await createCommandLogger('info', 'json', stream);
    logger.info(auditFields, 'audit rate_limit.hit failure');
    const [line] = lines();
    expect(line).toMatchObject({
      level: 30,
      service: 'gatehouse',
      msg: 'audit rate_limit.hit failure',
      ...auditFields,
      details: { limiter: 'loginPerIp', password: '[redacted]' },
    });
    expect(line).not.toHaveProperty(['event.kind']);
  });

  it('ecs: an audit event with event.*, an error line with error.*, secrets redacted, every field ECS or gatehouse.*', async () => {
    const { stream, lines } = capture();
    const logger = await createCommandLogger('info', 'ecs', stream);
    logger.info(auditFields, 'audit rate_limit.hit failure');
    logger.error(
      { err: new TypeError('boom'), request_id: 'req-10', path: '/token', password: 'p4ss', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      'unexpected error',
    );
    logger.debug('not at info');
    const [audit, error, ...rest] = lines();
    expect(rest).toEqual([]);
    expect(audit).toMatchObject({
      'log.level': 'info',
      'event.kind': 'event',
      'event.category': ['intrusion_detection'],
      'event.type': ['denied'],
      'event.action': 'rate_limit.hit',
      'event.outcome': 'failure',
      'event.sequence': 4,
      'client.ip': '203.0.113.9',
      'http.request.id': 'req-9',
      gatehouse: { audit: true, details: { limiter: 'loginPerIp', password: '[redacted]' } },
    });
    expect(error).toMatchObject({
      'log.level': 'error',
      'http.request.id': 'req-10',
      'url.path': '/token',
      'trace.id': '4bf92f3577b34da6a3ce929d0e0e4736',
      error: { type: 'TypeError', message: 'boom' },
      gatehouse: { password: '[redacted]' },
      message: 'unexpected error',
    });
    expect(JSON.stringify(lines())).not.toMatch(/hunter2|p4ss/);
    for (const line of lines()) expect(ecsProblems(line), JSON.stringify(line)).toEqual([]);
  });

  it("ecs: a child logger's bindings (a traced request's trace_id and span_id) in ECS, with no key written twice", async () => {
    const { stream, lines, raw } = capture();
    const logger = await createCommandLogger('info', 'ecs', stream);
    logger
      .child({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7', worker: 2 })
      .warn({ request_id: 'req-11', reason: 'aborted' }, 'client aborted the request');
    const [line] = lines();
    expect(line).toMatchObject({
      'trace.id': '4bf92f3577b34da6a3ce929d0e0e4736',
      'span.id': '00f067aa0ba902b7',
      'gatehouse.worker': 2,
      'http.request.id': 'req-11',
      gatehouse: { reason: 'aborted' },
    });
    const keys = [...raw()[0]!.matchAll(/"([^"]+)":/g)].map((match) => match[1]!);
    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
    expect(ecsProblems(line!)).toEqual([]);
  });
});
