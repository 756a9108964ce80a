import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../../core/errors.js';

/**
 * An address as matched and recorded: without IPv6 brackets, and IPv4-mapped IPv6
 * (`::ffff:127.0.0.1`, `[::ffff:7f00:1]`) as the IPv4 address it carries.
 */
export function normaliseIp(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '');
  const dotted = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(bare);
  if (!hex) return bare;
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** A set of IPv4 and IPv6 addresses and CIDR ranges, matched with Node's `net.BlockList`. */
export interface IpRanges {
  has(address: string | null | undefined): boolean;
  readonly size: number;
}

/**
 * Parses `["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"]`. A bad entry throws {@link ConfigError}
 * naming `option`.
 */
export function parseIpRanges(entries: readonly string[], option: string): IpRanges {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefixText] = entry.trim().split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new ConfigError(`option "${option}": "${entry}" is not an IPv4 or IPv6 address or CIDR range`, 'ERR_INVALID_OPTION', option);
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return {
    size: entries.length,
    has(address) {
      // Nothing configured (no trusted proxies, the common case): no address to parse per request.
      if (!address || entries.length === 0) return false;
      const ip = normaliseIp(address);
      const family = isIP(ip);
      return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
    },
  };
}

/** Loopback only: the default for operator endpoints. */
export const LOOPBACK_RANGES = ['127.0.0.0/8', '::1/128'];
