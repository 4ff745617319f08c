// The identity resources as TenantIdentity registers them (their providers are in
// providers/identity/). Each carries the Management API connection as an input, the client secret
// secret, and keeps it in its outputs for delete, which the engine calls with the old outputs only;
// `connection` is a secret output, so state holds it encrypted.
import type * as pulumi from "@pulumi/pulumi";
import type { ControlPlane } from "../../lib/catalog/schema";
import { TenancyResource } from "../dynamic";

/** The Management API connection as resources take it; `clientSecret` is made a secret whatever it arrives as. */
export interface IdentityConnectionArgs {
  url: pulumi.Input<string>;
  clientId: pulumi.Input<string>;
  clientSecret: pulumi.Input<string>;
  controlPlaneTenantId: pulumi.Input<string>;
}

const CLIENT_SECRET = ["connection.clientSecret"];

export interface EntitySyncArgs {
  connection: IdentityConnectionArgs;
  tenantId: string;
  entities: ControlPlane;
  fingerprint: string;
}

export class EntitySync extends TenancyResource {
  declare public readonly fingerprint: pulumi.Output<string>;
  declare public readonly identityTenant: pulumi.Output<string>;
  declare public readonly roles: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: EntitySyncArgs, opts?: pulumi.CustomResourceOptions) {
    super("EntitySync", name, { ...args, identityTenant: undefined, roles: undefined, resourceServers: undefined }, opts, CLIENT_SECRET);
  }
}

export interface OrganizationArgs {
  connection: IdentityConnectionArgs;
  tenantId: string;
  displayName: pulumi.Input<string>;
  metadata: { plan: string; status: string; cell: string };
  roles: string[];
  adminRole: string;
  admins: string[];
  /** An adopted organization's own name (`adopt.organization`): found and kept instead of created. */
  adoptedName?: string;
}

export class Organization extends TenancyResource {
  declare public readonly organizationId: pulumi.Output<string>;
  declare public readonly name: pulumi.Output<string>;
  declare public readonly members: pulumi.Output<Record<string, string>>;
  /** While suspended: user id -> role ids of the members taken out (providers/identity/org-suspension.ts); the backup keeps them. */
  declare public readonly suspendedMembers: pulumi.Output<Record<string, string[]> | undefined>;

  constructor(name: string, args: OrganizationArgs, opts?: pulumi.CustomResourceOptions) {
    super("Organization", name, { ...args, organizationId: undefined, name: undefined, members: undefined, suspendedMembers: undefined }, opts, CLIENT_SECRET);
  }
}

export interface IdentitySeedArgs {
  connection: IdentityConnectionArgs;
  tenantId: string;
  hostnames: pulumi.Input<pulumi.Input<string>[]>;
  admins: string[];
}

export class IdentitySeed extends TenancyResource {
  declare public readonly applicationClientId: pulumi.Output<string>;
  declare public readonly connectionId: pulumi.Output<string>;
  declare public readonly users: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: IdentitySeedArgs, opts?: pulumi.CustomResourceOptions) {
    const props = { ...args, identityTenant: undefined, applicationClientId: undefined, connectionId: undefined, users: undefined };
    super("IdentitySeed", name, props, opts, CLIENT_SECRET);
  }
}
