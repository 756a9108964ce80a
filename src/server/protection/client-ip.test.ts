import { describe, expect, it, vi } from 'vitest';
import { clientIp, hasUnvouchedForwarding, unconfiguredProxyWarning, type ForwardedHeader } from './client-ip.js';
import { normaliseIp, parseIpRanges } from './ip-ranges.js';

// The proxies: nginx on the host, a load balancer range, an IPv6 proxy.
const trusted = parseIpRanges(['127.0.0.1', '10.0.0.0/24', '2001:db8:1::/48'], 'protection.trustedProxies');
const none = parseIpRanges([], 'protection.trustedProxies');

type Row = [label: string, peer: string | undefined, headers: Record<string, string> | [string, string][], expected: string | null];

const xForwardedFor: Row[] = [
  ['no peer', undefined, { 'x-forwarded-for': '203.0.113.7' }, null],
  ['untrusted peer: header ignored', '198.51.100.1', { 'x-forwarded-for': '203.0.113.7' }, '198.51.100.1'],
  ['untrusted IPv4-mapped peer', '::ffff:198.51.100.1', { 'x-forwarded-for': '203.0.113.7' }, '198.51.100.1'],
  ['trusted peer, no header', '127.0.0.1', {}, '127.0.0.1'],
  ['trusted peer, empty header', '127.0.0.1', { 'x-forwarded-for': '' }, '127.0.0.1'],
  ['trusted peer, one hop', '127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }, '203.0.113.7'],
  ['trusted IPv4-mapped peer', '::ffff:127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }, '203.0.113.7'],
  ['client-forged left-most hop ignored', '127.0.0.1', { 'x-forwarded-for': '10.9.9.9, 203.0.113.7' }, '203.0.113.7'],
  ['forged hop inside a trusted range, then the client', '127.0.0.1', { 'x-forwarded-for': '10.0.0.5, 203.0.113.7' }, '203.0.113.7'],
  ['trusted hops vouch leftwards', '127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.0.0.2, 10.0.0.3' }, '203.0.113.7'],
  ['all hops trusted: the right-most', '127.0.0.1', { 'x-forwarded-for': '10.0.0.9, 10.0.0.2' }, '10.0.0.2'],
  ['all hops trusted, forged loopback left-most', '127.0.0.1', { 'x-forwarded-for': '127.0.0.1, 10.0.0.2, 10.0.0.3' }, '10.0.0.3'],
  ['trailing empty element', '127.0.0.1', { 'x-forwarded-for': '203.0.113.7, ' }, '203.0.113.7'],
  ['empty elements ignored', '127.0.0.1', { 'x-forwarded-for': ' , 6.6.6.6,,203.0.113.7 ,' }, '203.0.113.7'],
  ['IPv4 with port', '127.0.0.1', { 'x-forwarded-for': '203.0.113.7:51234' }, '203.0.113.7'],
  ['bare IPv6', '127.0.0.1', { 'x-forwarded-for': '2001:db8:cafe::17' }, '2001:db8:cafe::17'],
  ['bracketed IPv6 with port', '127.0.0.1', { 'x-forwarded-for': '[2001:db8:cafe::17]:4711' }, '2001:db8:cafe::17'],
  ['IPv4-mapped IPv6 hop', '127.0.0.1', { 'x-forwarded-for': '::ffff:203.0.113.7' }, '203.0.113.7'],
  ['IPv4-mapped IPv6 hop, hex form', '127.0.0.1', { 'x-forwarded-for': '[::ffff:cb00:7107]' }, '203.0.113.7'],
  ['IPv4-mapped trusted hop is trusted', '127.0.0.1', { 'x-forwarded-for': '203.0.113.7, ::ffff:10.0.0.2' }, '203.0.113.7'],
  ['IPv6 trusted peer and hop', '2001:db8:1::1', { 'x-forwarded-for': '2001:db8:cafe::17, 2001:db8:1::2' }, '2001:db8:cafe::17'],
  ['"unknown" from the peer: the peer', '127.0.0.1', { 'x-forwarded-for': 'unknown' }, '127.0.0.1'],
  ['"unknown" behind a trusted hop: that hop', '127.0.0.1', { 'x-forwarded-for': '6.6.6.6, unknown, 10.0.0.2' }, '10.0.0.2'],
  ['garbage ends the walk', '127.0.0.1', { 'x-forwarded-for': '203.0.113.7, not-an-ip' }, '127.0.0.1'],
  ['out-of-range octet is garbage', '127.0.0.1', { 'x-forwarded-for': '203.0.113.256' }, '127.0.0.1'],
  ['a quoted value is not an XFF entry', '127.0.0.1', { 'x-forwarded-for': '"203.0.113.7"' }, '127.0.0.1'],
  ['Forwarded ignored in xff mode', '127.0.0.1', { forwarded: 'for=10.9.9.9', 'x-forwarded-for': '203.0.113.7' }, '203.0.113.7'],
  ['only Forwarded in xff mode: the peer', '127.0.0.1', { forwarded: 'for=10.9.9.9' }, '127.0.0.1'],
  [
    'several header lines, joined',
    '127.0.0.1',
    [
      ['x-forwarded-for', '6.6.6.6'],
      ['x-forwarded-for', '203.0.113.7, 10.0.0.2'],
    ],
    '203.0.113.7',
  ],
  [
    'forged line before the proxy line',
    '127.0.0.1',
    [
      ['x-forwarded-for', '10.9.9.9'],
      ['x-forwarded-for', '203.0.113.7'],
    ],
    '203.0.113.7',
  ],
];

const forwarded: Row[] = [
  ['untrusted peer: header ignored', '198.51.100.1', { forwarded: 'for=203.0.113.7' }, '198.51.100.1'],
  ['trusted peer, no header', '127.0.0.1', {}, '127.0.0.1'],
  ['one element', '127.0.0.1', { forwarded: 'for=203.0.113.7' }, '203.0.113.7'],
  ['parameter name is case-insensitive', '127.0.0.1', { forwarded: 'For=203.0.113.7' }, '203.0.113.7'],
  ['other parameters around it', '127.0.0.1', { forwarded: 'proto=https;for=203.0.113.7;by=10.0.0.1;host=example.com' }, '203.0.113.7'],
  ['spaces around separators', '127.0.0.1', { forwarded: 'proto=https ; for = 203.0.113.7' }, '203.0.113.7'],
  ['quoted IPv4 with port', '127.0.0.1', { forwarded: 'for="203.0.113.7:4711"' }, '203.0.113.7'],
  ['quoted IPv6 with port (RFC 7239 §6)', '127.0.0.1', { forwarded: 'for="[2001:db8:cafe::17]:4711"' }, '2001:db8:cafe::17'],
  ['quoted IPv6 without port', '127.0.0.1', { forwarded: 'for="[2001:db8:cafe::17]"' }, '2001:db8:cafe::17'],
  ['IPv4-mapped IPv6', '127.0.0.1', { forwarded: 'for="[::ffff:203.0.113.7]"' }, '203.0.113.7'],
  ['obfuscated port', '127.0.0.1', { forwarded: 'for="203.0.113.7:_p1"' }, '203.0.113.7'],
  ['forged left-most element ignored', '127.0.0.1', { forwarded: 'for=10.9.9.9, for=203.0.113.7' }, '203.0.113.7'],
  ['trusted elements vouch leftwards', '127.0.0.1', { forwarded: 'for=6.6.6.6, for=203.0.113.7;proto=https, for=10.0.0.2' }, '203.0.113.7'],
  ['all elements trusted: the right-most', '127.0.0.1', { forwarded: 'for=10.0.0.9, for=10.0.0.2' }, '10.0.0.2'],
  ['quoted comma and semicolon do not split', '127.0.0.1', { forwarded: 'for=203.0.113.7;ext="a,b;for=6.6.6.6"' }, '203.0.113.7'],
  ['escaped quote inside a quoted value', '127.0.0.1', { forwarded: 'ext="x\\",for=6.6.6.6";for=203.0.113.7' }, '203.0.113.7'],
  ['"unknown" from the peer: the peer', '127.0.0.1', { forwarded: 'for=unknown' }, '127.0.0.1'],
  ['obfuscated node behind a trusted hop: that hop', '127.0.0.1', { forwarded: 'for=6.6.6.6, for=_hidden, for=10.0.0.2' }, '10.0.0.2'],
  ['element without for= ends the walk', '127.0.0.1', { forwarded: 'for=6.6.6.6, proto=https;by=10.0.0.2' }, '127.0.0.1'],
  ['two for= in one element is garbage', '127.0.0.1', { forwarded: 'for=6.6.6.6;for=203.0.113.7' }, '127.0.0.1'],
  ['unterminated quote is garbage', '127.0.0.1', { forwarded: 'for="203.0.113.7' }, '127.0.0.1'],
  ['garbage value', '127.0.0.1', { forwarded: 'for=<script>' }, '127.0.0.1'],
  ['X-Forwarded-For ignored in forwarded mode', '127.0.0.1', { forwarded: 'for=203.0.113.7', 'x-forwarded-for': '10.9.9.9' }, '203.0.113.7'],
  ['only X-Forwarded-For in forwarded mode: the peer', '127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }, '127.0.0.1'],
  [
    'several header lines, joined',
    '127.0.0.1',
    [
      ['forwarded', 'for=10.9.9.9'],
      ['forwarded', 'for=203.0.113.7'],
    ],
    '203.0.113.7',
  ],
];

function check(header: ForwardedHeader, rows: Row[]): void {
  it.each(rows)('%s', (_label, peer, headers, expected) => {
    expect(clientIp(peer, new Headers(headers), trusted, header)).toBe(expected);
  });
}

describe('clientIp, X-Forwarded-For (the default)', () => {
  check('x-forwarded-for', xForwardedFor);

  it('is the default header family', () => {
    expect(clientIp('127.0.0.1', new Headers({ forwarded: 'for=10.9.9.9', 'x-forwarded-for': '203.0.113.7' }), trusted)).toBe('203.0.113.7');
  });

  it('believes nothing without trusted proxies', () => {
    expect(clientIp('127.0.0.1', new Headers({ 'x-forwarded-for': '203.0.113.7' }), none)).toBe('127.0.0.1');
  });
});

describe('clientIp, Forwarded (RFC 7239)', () => {
  check('forwarded', forwarded);
});

describe('normaliseIp', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    ['[::ffff:10.0.0.1]', '10.0.0.1'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['::1', '::1'],
  ])('%s is %s', (input, expected) => {
    expect(normaliseIp(input)).toBe(expected);
  });
});

describe('hasUnvouchedForwarding', () => {
  it.each<[string, string | undefined, Record<string, string>, boolean]>([
    ['no forwarding headers', '127.0.0.1', {}, false],
    ['X-Forwarded-For from an untrusted peer', '198.51.100.1', { 'x-forwarded-for': '203.0.113.7' }, true],
    ['Forwarded from an untrusted peer', '198.51.100.1', { forwarded: 'for=203.0.113.7' }, true],
    ['from a trusted proxy', '127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }, false],
    ['the other family from a trusted proxy', '127.0.0.1', { forwarded: 'for=203.0.113.7' }, false],
    ['no peer', undefined, { 'x-forwarded-for': '203.0.113.7' }, true],
  ])('%s', (_label, peer, headers, expected) => {
    expect(hasUnvouchedForwarding(peer, new Headers(headers), trusted)).toBe(expected);
  });
});

describe('unconfiguredProxyWarning', () => {
  const xff = new Headers({ 'x-forwarded-for': '203.0.113.7' });

  it('warns once, for a loopback peer with forwarding headers and no trusted proxy', () => {
    const logger = { warn: vi.fn() };
    const check = unconfiguredProxyWarning(none, logger);
    check('198.51.100.1', xff);
    check('127.0.0.1', new Headers());
    expect(logger.warn).not.toHaveBeenCalled();
    check('::ffff:127.0.0.1', new Headers({ forwarded: 'for=203.0.113.7' }));
    check('127.0.0.1', xff);
    check('::1', xff);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![1]).toContain('GATEHOUSE_TRUSTED_PROXIES');
  });

  it('stays quiet once trusted proxies are configured', () => {
    const logger = { warn: vi.fn() };
    const check = unconfiguredProxyWarning(parseIpRanges(['10.0.0.1'], 'p'), logger);
    check('127.0.0.1', xff);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
