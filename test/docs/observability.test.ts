/**
 * The observability recipes docs/deployment.md points to, checked against the code so they cannot
 * drift from it: the Filebeat and Vector configurations and the saved searches name only fields
 * Gatehouse writes with GATEHOUSE_LOG_FORMAT=ecs and event types it records; the Grafana dashboard
 * and the Prometheus alert rules name only metrics GET /metrics serves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auditEventToEcs } from '../../src/server/audit/ecs.js';
import { createMetrics } from '../../src/server/observability/metrics.js';
import { auditLine, isEmittedEcsField } from '../helpers/ecs-fields.js';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const yaml = (path: string) => parseYaml(read(path)) as Record<string, unknown>;

/** Every string anywhere in `value`, with the key path it is under. */
function strings(value: unknown, path = ''): { path: string; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => strings(item, path ? `${path}.${key}` : key));
  return [];
}

/** Every key anywhere under `value`. */
function keys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keys);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => [key, ...keys(item)]);
  return [];
}

/** Whether Gatehouse records `type` with an ECS category (see src/server/audit/ecs.ts). */
const isKnownEventType = (type: string) => auditEventToEcs(auditLine(type))['event.category'] !== undefined;

const RECIPES = [
  'docs/deployment.md',
  'examples/observability/filebeat.yml',
  'examples/observability/vector-elasticsearch.yaml',
  'examples/observability/vector-splunk.yaml',
];

describe('log shipping recipes (GATEHOUSE_LOG_FORMAT=ecs)', () => {
  it('are referenced from docs/deployment.md', () => {
    const doc = read('docs/deployment.md');
    for (const path of RECIPES.slice(1).concat('examples/observability/saved-searches.yml', 'docs/grafana-dashboard.json', 'docs/prometheus-alerts.yml')) {
      expect(doc, path).toContain(path.replace(/^docs\//, ''));
    }
  });

  it('Filebeat: reads the journal, decodes the JSON line, and its conditions name fields Gatehouse writes', () => {
    const config = yaml('examples/observability/filebeat.yml');
    expect(config['filebeat.inputs']).toMatchObject([{ type: 'journald' }]);
    const processors = config.processors as Record<string, Record<string, unknown>>[];
    expect(processors[0]!.decode_json_fields).toMatchObject({ fields: ['message'], target: '', expand_keys: true });
    const conditions = processors.flatMap((processor) => Object.values(processor).map((options) => options.when)).filter(Boolean);
    expect(conditions.length).toBeGreaterThan(0);
    const fields = keys(conditions).filter((key) => !['not', 'and', 'or', 'equals', 'contains', 'regexp', 'range', 'has_fields'].includes(key));
    expect(fields.length).toBeGreaterThan(0);
    for (const field of fields) expect(isEmittedEcsField(field), field).toBe(true);
  });

  it.each(['examples/observability/vector-elasticsearch.yaml', 'examples/observability/vector-splunk.yaml'])(
    '%s: its pipeline connects, and its VRL names fields Gatehouse writes',
    (path) => {
      const config = yaml(path) as Record<string, Record<string, Record<string, unknown>>>;
      const components = new Set([...Object.keys(config.sources!), ...Object.keys(config.transforms!)]);
      for (const section of ['transforms', 'sinks'] as const) {
        for (const [name, component] of Object.entries(config[section]!)) {
          for (const input of component.inputs as string[]) expect(components.has(input), `${name} reads ${input}`).toBe(true);
        }
      }
      const vrl = Object.values(config.transforms!).flatMap((transform) =>
        [transform.source, transform.condition].filter((text): text is string => typeof text === 'string'),
      );
      const fields = vrl.flatMap((text) => [...text.matchAll(/\."([^"]+)"/g)].map((match) => match[1]!));
      expect(fields.length).toBeGreaterThan(0);
      for (const field of fields) expect(isEmittedEcsField(field), field).toBe(true);
    },
  );

  it('Vector to Splunk uses the splunk_hec_logs sink, to Elasticsearch a data stream', () => {
    expect(Object.values((yaml('examples/observability/vector-splunk.yaml').sinks as Record<string, { type: string }>) ?? {})[0]!.type).toBe('splunk_hec_logs');
    expect(
      Object.values((yaml('examples/observability/vector-elasticsearch.yaml').sinks as Record<string, { type: string; mode: string }>) ?? {})[0],
    ).toMatchObject({
      type: 'elasticsearch',
      mode: 'data_stream',
    });
  });

  it('saved searches (KQL and SPL): failed sign-ins and rate-limit hits, over fields and event types Gatehouse writes', () => {
    const { searches } = yaml('examples/observability/saved-searches.yml') as { searches: { name: string; kql: string; spl: string }[] };
    expect(searches.map((search) => search.name)).toEqual(expect.arrayContaining(['Failed sign-ins', 'Rate-limit hits']));
    for (const search of searches) {
      for (const query of [search.kql, search.spl]) {
        expect(typeof query, search.name).toBe('string');
        const quoted = [...query.matchAll(/"([^"]*)"/g)].map((match) => match[1]!);
        const bare = query.replace(/"[^"]*"/g, '""');
        // A dotted name outside quotes is a field; a dotted value in quotes is an event type.
        const fields = [...bare.matchAll(/(?<![\w.])[a-z_@][\w@]*(?:\.[\w@]+)+/g)].map((match) => match[0]);
        expect(fields.length, query).toBeGreaterThan(0);
        for (const field of fields) expect(isEmittedEcsField(field), `${search.name}: ${field}`).toBe(true);
        for (const type of quoted.filter((text) => /^[a-z_]+\.[a-z_]+$/.test(text))) expect(isKnownEventType(type), `${search.name}: ${type}`).toBe(true);
      }
    }
  });
});

describe('Prometheus recipes', () => {
  const served = new Set(
    createMetrics({ defaultMetrics: false })
      .registry.getMetricsAsArray()
      .map((metric) => metric.name),
  );
  /** Metric names in a PromQL expression; a histogram's series named by the histogram. */
  const metricNames = (expr: string) => [...expr.matchAll(/\bgatehouse_[a-z_]+/g)].map((match) => match[0].replace(/_(bucket|sum|count)$/, ''));

  it('the Grafana dashboard charts sign-in failures, 5xx, store latency p95, rate-limit hits, tokens issued, with metrics Gatehouse serves', () => {
    const dashboard = JSON.parse(read('docs/grafana-dashboard.json')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    const names = exprs.flatMap(metricNames);
    for (const name of names) expect(served.has(name), name).toBe(true);
    for (const name of [
      'gatehouse_sign_in_failures_total',
      'gatehouse_http_requests_total',
      'gatehouse_store_operation_duration_seconds',
      'gatehouse_rate_limit_hits_total',
      'gatehouse_tokens_issued_total',
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it('the alert rules (sign-in failure spike, 5xx, store latency, signing key age) use metrics Gatehouse serves', () => {
    const { groups } = yaml('docs/prometheus-alerts.yml') as { groups: { name: string; rules: { alert: string; expr: string; for?: string }[] }[] };
    const rules = groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['GatehouseSignInFailureSpike', 'GatehouseHigh5xxRate', 'GatehouseStoreLatencyHigh', 'GatehouseSigningKeyOld']),
    );
    for (const rule of rules) {
      const names = metricNames(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(served.has(name), `${rule.alert}: ${name}`).toBe(true);
    }
    expect(strings(groups).some(({ text }) => text.includes('gatehouse_signing_key_age_seconds'))).toBe(true);
  });
});
