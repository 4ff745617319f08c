// Where a webhook may be sent: checked before DNS (the URL's host: an IP literal, which the URL
// parser has already turned from decimal, hex or octal forms into dotted or bracketed text, or a
// name of the local machine or a private network) and after (every address the name resolves to,
// and again at connection time through the request's own lookup, so a name that changes its answer
// between the check and the connection, DNS rebinding, still only reaches a vetted address).
//
// The tests' receivers listen on 127.0.0.1, which production refuses. The allowance is a narrow,
// explicit switch that nothing in production sets: `allowLoopback` in the delivery options (which
// the engine never passes: providers/kit.ts), or, for the engine tests that run the real provider
// host, the environment variable TEST_ONLY_LOOPBACK_ENV. Either one does not widen the check: it
// swaps it for "loopback only", refusing every other target, so a switch left on by mistake breaks
// every real delivery at once instead of quietly allowing private addresses.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { blockedAddress, isLoopback } from "./address";

/** Set to "1" only by tests that run the real provider host against a loopback receiver. */
export const TEST_ONLY_LOOPBACK_ENV = "TENANCY_TEST_ONLY_LOOPBACK_WEBHOOKS";

export interface TargetPolicy {
  /** Test only: loopback targets, and nothing else. */
  loopbackOnly: boolean;
}

export function targetPolicy(allowLoopback?: boolean, env: NodeJS.ProcessEnv = process.env): TargetPolicy {
  return { loopbackOnly: allowLoopback === true || env[TEST_ONLY_LOOPBACK_ENV] === "1" };
}

/** Why a webhook may not go to `address` (resolved or literal); undefined when it may. */
export function addressProblem(address: string, policy: TargetPolicy): string | undefined {
  if (policy.loopbackOnly) {
    return isLoopback(address) ? undefined : `is not a loopback address, and ${TEST_ONLY_LOOPBACK_ENV} (tests only) allows loopback targets and nothing else`;
  }
  const why = blockedAddress(address);
  return why ? `is ${why}` : undefined;
}

/** Before DNS: why the URL's host may not be a webhook's target; undefined when it may be resolved. */
export function hostProblem(hostname: string, policy: TargetPolicy): string | undefined {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) return addressProblem(host, policy);
  if (policy.loopbackOnly) return undefined; // what it resolves to decides
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return "names the local machine";
  if (!name.includes(".")) return "is a single-label name, which local search domains resolve";
  if (/\.(local|internal|localdomain|home\.arpa|intranet|lan)$/.test(name)) return "is a name of a private network";
  return undefined;
}

type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

/**
 * After DNS: every address the host resolves to must pass (one private address among public ones
 * is enough for a connection to land there). Throws saying why; returns the addresses.
 */
export async function resolveTarget(url: URL, policy: TargetPolicy, resolver: Resolver = systemResolver): Promise<string[]> {
  const shown = url.origin;
  const before = hostProblem(url.hostname, policy);
  if (before) throw new Error(`webhook URL ${shown} refused: its host ${before}`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) return [host];
  let addresses: LookupAddress[];
  try {
    addresses = await resolver(host);
  } catch {
    throw new Error(`webhook URL ${shown} refused: its host does not resolve`);
  }
  const refused = addresses.map((a) => [a.address, addressProblem(a.address, policy)] as const).filter(([, why]) => why);
  if (addresses.length === 0 || refused.length > 0) {
    throw new Error(`webhook URL ${shown} refused: its host resolves to ${refused.map(([address, why]) => `${address}, which ${why}`).join("; ") || "nothing"}`);
  }
  return addresses.map((a) => a.address);
}

/** The request's own lookup: it hands the connection only addresses that pass now. */
export function vettedLookup(policy: TargetPolicy, resolver: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolver(hostname).then(
      (addresses) => {
        if (addresses.length === 0 || addresses.some((a) => addressProblem(a.address, policy))) {
          callback(Object.assign(new Error(`${hostname} resolves to an address a webhook may not reach`), { code: "EREFUSEDTARGET" }), "", 0);
        } else if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };
}
