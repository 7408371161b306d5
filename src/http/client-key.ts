import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of an IPv6 address, `::` expanded (an embedded IPv4 tail counts as two). */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const parts = (s: string) =>
    s === '' ? [] : s.split(':').flatMap((p) => (isIPv4(p) ? ['ipv4', 'ipv4'] : [p.replace(/^0+(?=.)/, '').toLowerCase()]));
  const left = parts(head);
  const right = tail === undefined ? [] : parts(tail);
  return [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
}

/**
 * Who a request counts against for per-client limits (the memory budget's client share): its
 * peer address. An IPv4 address is one client, also when it arrives IPv4-mapped (::ffff:a.b.c.d);
 * an IPv6 address counts by its /64 prefix, which one host is commonly given whole.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address.split('%')[0]!)) return address;
  return `${ipv6Groups(address.split('%')[0]!).slice(0, 4).join(':')}::/64`;
}
