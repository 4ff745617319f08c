// Which network addresses a webhook may reach: public unicast only. Loopback, private, link-local
// (the cloud metadata services at 169.254.169.254 and fd00:ec2::254), carrier-grade NAT,
// multicast, documentation, reserved and unspecified addresses are refused, in IPv4 and IPv6,
// including IPv4 addresses carried inside IPv6 (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible,
// NAT64 64:ff9b::/96, 6to4 2002::/16; Teredo 2001::/32 altogether). Pure: no DNS here (target.ts).
import { isIPv4, isIPv6 } from "node:net";

interface Range {
  /** The range's first address, as bytes. */
  base: number[];
  bits: number;
  why: string;
}

const v4 = (text: string): number[] => text.split(".").map(Number);

function range(cidr: string, why: string): Range {
  const [address, bits] = cidr.split("/");
  return { base: isIPv4(address) ? v4(address) : ipv6Bytes(address), bits: Number(bits), why };
}

const IPV4_BLOCKED: Range[] = [
  range("0.0.0.0/8", "unspecified (\"this network\")"),
  range("10.0.0.0/8", "private"),
  range("100.64.0.0/10", "carrier-grade NAT (shared)"),
  range("127.0.0.0/8", "loopback"),
  range("169.254.0.0/16", "link-local (cloud metadata services live here)"),
  range("172.16.0.0/12", "private"),
  range("192.0.0.0/24", "IETF protocol assignments"),
  range("192.0.2.0/24", "documentation"),
  range("192.88.99.0/24", "6to4 relay"),
  range("192.168.0.0/16", "private"),
  range("198.18.0.0/15", "benchmarking"),
  range("198.51.100.0/24", "documentation"),
  range("203.0.113.0/24", "documentation"),
  range("224.0.0.0/4", "multicast"),
  range("240.0.0.0/4", "reserved (and broadcast)"),
  range("168.63.129.16/32", "a cloud metadata service (Azure)"),
];

const IPV6_BLOCKED: Range[] = [
  range("::/128", "unspecified"),
  range("::1/128", "loopback"),
  range("100::/64", "discard-only"),
  range("2001::/32", "Teredo (it hides the IPv4 address it leads to)"),
  range("2001:db8::/32", "documentation"),
  range("fc00::/7", "unique local (private; fd00:ec2::254 is a cloud metadata service)"),
  range("fe80::/10", "link-local"),
  range("fec0::/10", "site-local"),
  range("ff00::/8", "multicast"),
];

/** The 16 bytes of an IPv6 address in any textual form (`::`, embedded dotted quad). */
export function ipv6Bytes(text: string): number[] {
  const groups = (part: string): number[] =>
    part === "" ? [] : part.split(":").flatMap((g) => (g.includes(".") ? ((b) => [(b[0] << 8) | b[1], (b[2] << 8) | b[3]])(v4(g)) : [parseInt(g, 16)]));
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function inRange(bytes: number[], r: Range): boolean {
  if (bytes.length !== r.base.length) return false;
  for (let bit = 0; bit < r.bits; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((bytes[i] & mask) !== (r.base[i] & mask)) return false;
  }
  return true;
}

/** The IPv4 address an IPv6 address carries, when it is one of the forms that lead to it. */
function embeddedIpv4(bytes: number[]): number[] | undefined {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12); // ::ffff:a.b.c.d
  if (zeros(0, 12) && !zeros(12, 16) && !(zeros(12, 15) && bytes[15] === 1)) return bytes.slice(12); // ::a.b.c.d
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b) return bytes.slice(12); // 64:ff9b::/96, 64:ff9b:1::/48
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6); // 2002:aabb:ccdd::/48
  return undefined;
}

/** Why `address` (an IP in text) may not be a webhook's destination; undefined when it may. */
export function blockedAddress(address: string): string | undefined {
  const plain = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (isIPv4(plain)) return IPV4_BLOCKED.find((r) => inRange(v4(plain), r))?.why;
  if (!isIPv6(plain)) return "not an IP address";
  const bytes = ipv6Bytes(plain);
  const inner = embeddedIpv4(bytes);
  if (inner) {
    const why = IPV4_BLOCKED.find((r) => inRange(inner, r))?.why;
    return why ? `${why}, inside an IPv6 address` : undefined;
  }
  return IPV6_BLOCKED.find((r) => inRange(bytes, r))?.why;
}

/** Whether `address` is a loopback address (127.0.0.0/8, ::1, or 127/8 inside IPv6). */
export function isLoopback(address: string): boolean {
  const plain = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (isIPv4(plain)) return v4(plain)[0] === 127;
  if (!isIPv6(plain)) return false;
  const bytes = ipv6Bytes(plain);
  const inner = embeddedIpv4(bytes);
  return inner ? inner[0] === 127 : bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1;
}
