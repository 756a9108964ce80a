/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) into what dominates it: self time by function,
 * self time by area (a Gatehouse module, a package, a Node subsystem, GC), and inclusive time of
 * the server's own functions. Idle time is left out of every percentage.
 */
import { readFileSync } from 'node:fs';

/** A function's identity in a profile: name and where it is defined. */
function functionKey({ functionName, url, lineNumber }) {
  return `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
}

function shortUrl(url) {
  if (!url) return '';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return `dist/${url.slice(dist + '/dist/'.length)}`;
  const bench = url.lastIndexOf('/bench/');
  if (bench >= 0) return `bench/${url.slice(bench + '/bench/'.length)}`;
  return url.replace(/^file:\/\//, '');
}

/** Where a function lives: a Gatehouse module, a package, a Node subsystem, or the VM itself. */
export function areaOf({ functionName, url }) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)') return 'V8/native (program)';
    if (functionName === '(idle)') return 'idle';
    return 'native built-ins';
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return `pkg ${parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (url.startsWith('node:')) {
    const parts = url.slice('node:'.length).split('/');
    return `node:${parts[0] === 'internal' ? parts.slice(1, 2).join('/') : parts[0]}`.replace(/\.js$/, '');
  }
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return `gatehouse ${url.slice(dist + '/dist/'.length).replace(/\.js$/, '')}`;
  if (url.includes('/bench/')) return 'bench harness';
  return shortUrl(url);
}

/** Gatehouse's compiled modules (not a dependency's `dist/`). */
export const isGatehouseCode = (url) => url.includes('/dist/') && !url.includes('/node_modules/');

/**
 * A coarse grouping of areas, to say what dominates a case at a glance: signing and verifying,
 * the HTTP layers, the store, observability (metrics, request context), the audit log, GC.
 */
export function bucketOf(area, functionName = '') {
  if (area === 'GC') return 'GC';
  if (area === 'node:crypto' || area === 'pkg jose' || area === 'gatehouse core/secret') return 'crypto (JWS, HMAC, random)';
  if (/^pkg (kysely|better-sqlite3)$|^gatehouse stores\//.test(area)) return 'store';
  if (/^gatehouse server\/audit/.test(area)) return 'audit log';
  if (area === 'node:async_hooks' || area === 'pkg prom-client' || /^gatehouse server\/observability/.test(area))
    return 'observability (metrics, async context)';
  if (
    /^pkg (@hono\/node-server|hono|koa|koa-compose|delegates|http-errors|statuses|on-finished|accepts|content-type|type-is|koa-.*)$/.test(area) ||
    /^node:(deps|webstreams|worker|streams|_http|http|net|stream_base|abort_controller|buffer|url|events|timers|util)/.test(area) ||
    ['writev', 'writeLatin1String', 'writeUtf8String', 'writeBuffer'].includes(functionName)
  ) {
    return 'HTTP, request and response plumbing';
  }
  if (area === 'pkg oidc-provider') return 'oidc-provider';
  if (/^gatehouse /.test(area)) return 'Gatehouse logic';
  return 'other (VM, module loading, native)';
}

/**
 * Summarises one profile. `isOwnCode(url)` picks the functions whose inclusive time is listed.
 * @returns {{ totalMs: number, busyMs: number, selfByFunction: Array<[string, number]>, selfByArea: Array<[string, number]>, byBucket: Array<[string, number]>, inclusiveOwn: Array<[string, number]> }}
 *   times in ms, sorted descending
 */
export function summariseProfile(file, isOwnCode = isGatehouseCode) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfByFunction = new Map();
  const selfByArea = new Map();
  const byBucket = new Map();
  const inclusive = new Map();
  let totalUs = 0;
  let idleUs = 0;
  const add = (map, key, value) => map.set(key, (map.get(key) ?? 0) + value);
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index + 1] ?? 0;
    const node = byId.get(id);
    totalUs += delta;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += delta;
      return;
    }
    add(selfByFunction, functionKey(node.callFrame), delta);
    const area = areaOf(node.callFrame);
    add(selfByArea, area, delta);
    add(byBucket, bucketOf(area, node.callFrame.functionName), delta);
    // Inclusive time of the server's own functions: each once per sample, however deep it recurs.
    const seen = new Set();
    for (let current = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current).callFrame;
      if (!isOwnCode(frame.url)) continue;
      const key = functionKey(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, delta);
    }
  });
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]).map(([key, us]) => [key, us / 1000]);
  return {
    totalMs: totalUs / 1000,
    busyMs: (totalUs - idleUs) / 1000,
    selfByFunction: sorted(selfByFunction),
    selfByArea: sorted(selfByArea),
    byBucket: sorted(byBucket),
    inclusiveOwn: sorted(inclusive),
  };
}
