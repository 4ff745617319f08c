// STAND-IN for the cloudflare provider plugin, which cannot be had on this machine (no download,
// and its Go module is not on the module proxy); used only by the engine tests; it is not
// Cloudflare. An echo provider: it touches no network and keeps no objects. Outputs are the inputs
// plus the computed attributes the program reads (ids, the custom hostname's ownership
// verification record), derived deterministically from the inputs. Which input changes replace a
// resource follows the real provider's schemas.
import { FORCE_NEW } from "../../../lib/plan/force-new";
import { echoResource, serve, stableHash, stableUuid } from "./plugin-server";

// Force-new inputs: FORCE_NEW (lib/plan/force-new.ts, which says where upstream marks each), the
// table the offline plan reads too. Defaults from the same schemas.
serve({
  pkg: "cloudflare",
  resources: {
    "cloudflare:index/dnsRecord:DnsRecord": echoResource({
      forceNew: FORCE_NEW["cloudflare:index/dnsRecord:DnsRecord"],
      defaults: { proxied: false },
      // Cloudflare ids are 32 hex digits.
      computed: (inputs, ctx) => ({ id: stableHash(ctx.urn, inputs.zoneId, inputs.type).slice(0, 32) }),
    }),
    "cloudflare:index/customHostname:CustomHostname": echoResource({
      forceNew: FORCE_NEW["cloudflare:index/customHostname:CustomHostname"],
      computed(inputs, ctx) {
        const id = stableUuid(ctx.urn, inputs.zoneId, inputs.hostname);
        const token = stableUuid(id, "ownership");
        return {
          id,
          status: "pending",
          // The TXT record the hostname's owner publishes to prove ownership, as Cloudflare names it.
          ownershipVerification: { name: `_cf-custom-hostname.${inputs.hostname}`, type: "txt", value: token },
          ownershipVerificationHttp: { httpUrl: `http://${inputs.hostname}/.well-known/cf-custom-hostname-challenge/${id}`, httpBody: token },
          // ssl.bundle_method's schema default.
          ...(inputs.ssl ? { ssl: { bundleMethod: "ubiquitous", ...inputs.ssl } } : {}),
        };
      },
    }),
  },
});
