/**
 * True for loopback host names and literals: `localhost`, 127.0.0.0/8 and `[::1]`
 * (RFC 8252 §7.3, RFC 6761 §6.3).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]' || host === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
