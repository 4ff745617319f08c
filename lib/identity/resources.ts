// The identity providers as Pulumi resources. Each carries the Management API connection as an
// input (the client secret as a secret) and keeps it in its outputs for delete, which the engine
// calls with the old outputs only; `connection` is declared a secret output, so state holds it
// encrypted.
import * as pulumi from "@pulumi/pulumi";
import type { ControlPlane } from "../catalog/schema";
import { entitySyncProvider } from "./entity-sync";
import { identitySeedProvider } from "./identity-seed";
import { organizationProvider } from "./organization";

/** The Management API connection as resources take it; `clientSecret` is made a secret here whatever it arrives as. */
export interface IdentityConnectionArgs {
  url: pulumi.Input<string>;
  clientId: pulumi.Input<string>;
  clientSecret: pulumi.Input<string>;
  controlPlaneTenantId: pulumi.Input<string>;
}

export function connectionInput(c: IdentityConnectionArgs) {
  return { url: c.url, clientId: c.clientId, clientSecret: pulumi.secret(c.clientSecret), controlPlaneTenantId: c.controlPlaneTenantId };
}

export function withSecretConnection(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"] };
}

export interface EntitySyncArgs {
  connection: IdentityConnectionArgs;
  tenantId: string;
  entities: ControlPlane;
  fingerprint: string;
}

export class EntitySync extends pulumi.dynamic.Resource {
  declare public readonly fingerprint: pulumi.Output<string>;
  declare public readonly identityTenant: pulumi.Output<string>;
  declare public readonly roles: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: EntitySyncArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      entitySyncProvider,
      name,
      { ...args, connection: connectionInput(args.connection), identityTenant: undefined, roles: undefined, resourceServers: undefined },
      withSecretConnection(opts),
      "tenancy",
      "EntitySync",
    );
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
}

export class Organization extends pulumi.dynamic.Resource {
  declare public readonly organizationId: pulumi.Output<string>;
  declare public readonly name: pulumi.Output<string>;
  declare public readonly members: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: OrganizationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      organizationProvider,
      name,
      { ...args, connection: connectionInput(args.connection), organizationId: undefined, name: undefined, members: undefined },
      withSecretConnection(opts),
      "tenancy",
      "Organization",
    );
  }
}

export interface IdentitySeedArgs {
  connection: IdentityConnectionArgs;
  tenantId: string;
  hostnames: pulumi.Input<pulumi.Input<string>[]>;
  admins: string[];
}

export class IdentitySeed extends pulumi.dynamic.Resource {
  declare public readonly applicationClientId: pulumi.Output<string>;
  declare public readonly connectionId: pulumi.Output<string>;
  declare public readonly users: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: IdentitySeedArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      identitySeedProvider,
      name,
      { ...args, connection: connectionInput(args.connection), identityTenant: undefined, applicationClientId: undefined, connectionId: undefined, users: undefined },
      withSecretConnection(opts),
      "tenancy",
      "IdentitySeed",
    );
  }
}
