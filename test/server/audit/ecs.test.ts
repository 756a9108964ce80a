/**
 * Audit events in Elastic Common Schema (GATEHOUSE_LOG_FORMAT=ecs): each Gatehouse event type gets
 * an ECS `event.category` and `event.type` that ECS allows together, and the event's fields land
 * in their ECS fields.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auditEventToEcs, ECS_EVENT_KINDS } from '../../../src/server/audit/ecs.js';
import { auditLine as line } from '../../helpers/ecs-fields.js';

/** ECS 8 `event.category` allowed values and the `event.type` values each expects. */
const ECS_ALLOWED_TYPES: Record<string, readonly string[]> = {
  authentication: ['start', 'end', 'info'],
  configuration: ['access', 'change', 'creation', 'deletion', 'info'],
  iam: ['admin', 'change', 'creation', 'deletion', 'group', 'info', 'user'],
  intrusion_detection: ['allowed', 'denied', 'info'],
  network: ['access', 'allowed', 'connection', 'denied', 'end', 'info', 'protocol', 'start'],
  session: ['start', 'end', 'info'],
};

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('auditEventToEcs', () => {
  it.each<[string, 'success' | 'failure', string[], string[]]>([
    ['login.failed', 'failure', ['authentication'], ['start']],
    ['login.succeeded', 'success', ['authentication'], ['start']],
    ['login.email_code_sent', 'success', ['authentication'], ['info']],
    ['logout', 'success', ['authentication', 'session'], ['end']],
    ['mfa.failed', 'failure', ['authentication'], ['info']],
    ['mfa.challenge', 'success', ['authentication'], ['info']],
    ['mfa.enrolled', 'success', ['iam'], ['user', 'change']],
    ['mfa.recovery_codes_regenerated', 'success', ['iam'], ['user', 'change']],
    ['signup.refused', 'failure', ['iam'], ['user', 'creation']],
    ['user.signed_up', 'success', ['iam'], ['user', 'creation']],
    ['user.created', 'success', ['iam'], ['user', 'creation']],
    ['user.deleted', 'success', ['iam'], ['user', 'deletion']],
    ['user.unlocked', 'success', ['iam'], ['user', 'change']],
    ['user.sessions_revoked', 'success', ['session'], ['end']],
    ['password.changed', 'success', ['iam'], ['user', 'change']],
    ['client.created', 'success', ['configuration'], ['creation']],
    ['client.removed', 'success', ['configuration'], ['deletion']],
    ['client.secret_rotated', 'success', ['configuration'], ['change']],
    ['client.authentication_failed', 'failure', ['authentication'], ['start']],
    ['client.address_refused', 'failure', ['network'], ['denied']],
    ['keys.rotated', 'success', ['configuration'], ['change']],
    ['token.issued', 'success', ['session'], ['start']],
    ['token.exchanged', 'success', ['session'], ['start']],
    ['token.exchange_refused', 'failure', ['session'], ['start']],
    ['token.revoked', 'success', ['session'], ['end']],
    ['token.family_revoked', 'success', ['session'], ['end']],
    ['consent.granted', 'success', ['iam'], ['change']],
    ['consent.denied', 'failure', ['iam'], ['change']],
    ['code.replay_detected', 'failure', ['intrusion_detection'], ['denied']],
    ['refresh.reuse_detected', 'failure', ['intrusion_detection'], ['denied']],
    ['rate_limit.hit', 'failure', ['intrusion_detection'], ['denied']],
    ['session.others_ended', 'success', ['session'], ['end']],
  ])('%s (%s): category %j, type %j', (type, outcome, category, ecsType) => {
    const ecs = auditEventToEcs(line(type, outcome));
    expect(ecs).toMatchObject({
      'event.kind': 'event',
      'event.category': category,
      'event.type': ecsType,
      'event.action': type,
      'event.outcome': outcome,
      'event.sequence': 12,
    });
  });

  it('an unknown type is an `info` event with no category', () => {
    const ecs = auditEventToEcs(line('something.new', 'success'));
    expect(ecs['event.category']).toBeUndefined();
    expect(ecs['event.type']).toEqual(['info']);
  });

  it('puts the user, address, user agent, request, trace, hash and reason in ECS fields, and the rest under gatehouse', () => {
    const ecs = auditEventToEcs(
      line('login.failed', 'failure', {
        subject: 'user-1',
        ip: '2001:db8::7',
        user_agent: 'Mozilla/5.0',
        request_id: 'req-1',
        trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
        client_id: 'app',
        details: { reason: 'bad_password', method: 'password' },
        prev_hash: 'p'.repeat(64),
        hash: 'h'.repeat(64),
        time: '2026-01-01T00:00:00.000Z',
      }),
    );
    expect(ecs).toEqual({
      'event.kind': 'event',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.action': 'login.failed',
      'event.outcome': 'failure',
      'event.sequence': 12,
      'event.hash': 'h'.repeat(64),
      'event.reason': 'bad_password',
      'user.id': 'user-1',
      'client.ip': '2001:db8::7',
      'source.ip': '2001:db8::7',
      'user_agent.original': 'Mozilla/5.0',
      'http.request.id': 'req-1',
      'trace.id': '4bf92f3577b34da6a3ce929d0e0e4736',
      gatehouse: {
        audit: true,
        client_id: 'app',
        time: '2026-01-01T00:00:00.000Z',
        prev_hash: 'p'.repeat(64),
        details: { reason: 'bad_password', method: 'password' },
      },
    });
  });

  it("takes the trace id from the event's details, where the audit log records it", () => {
    const ecs = auditEventToEcs(line('token.issued', 'success', { details: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' } }));
    expect(ecs['trace.id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('leaves out what is not known: an unstored event has no sequence nor hash', () => {
    const ecs = auditEventToEcs(line('token.issued', 'success', { seq: null }));
    expect(Object.keys(ecs).sort()).toEqual(['event.action', 'event.category', 'event.kind', 'event.outcome', 'event.type', 'gatehouse']);
  });

  it('pairs every category only with event types ECS allows for it', () => {
    for (const [pattern, categories, types] of ECS_EVENT_KINDS) {
      for (const category of categories) {
        expect(ECS_ALLOWED_TYPES[category], `${pattern}: category ${category}`).toBeDefined();
        for (const type of types) expect(ECS_ALLOWED_TYPES[category], `${pattern}: ${category}/${type}`).toContain(type);
      }
    }
  });

  it('has a row for every event type the code records', () => {
    const types = new Set(['mfa.recovery_codes_regenerated', 'token.family_revoked', 'code.replay_detected', 'refresh.reuse_detected']);
    const files = readdirSync(join(REPO_ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
    );
    for (const file of files) {
      for (const match of readFileSync(join(REPO_ROOT, 'src', file), 'utf8').matchAll(/\b(?:auditEvent|audit)\(\s*'([a-z_]+(?:\.[a-z_]+)*)'/g))
        types.add(match[1]!);
    }
    expect(types.size).toBeGreaterThan(40);
    const unmapped = [...types].filter((type) => auditEventToEcs(line(type, 'success'))['event.category'] === undefined);
    expect(unmapped).toEqual([]);
  });
});
