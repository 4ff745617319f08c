// TenantIdentity: a tenant's place on the identity control plane. Its organization on the
// control-plane tenant, the control plane's roles and APIs copied into its identity tenant, and the
// identity tenant's default application, password connection and admins.
//
// The identity tenant itself (id = tenant id) must already exist on the identity server: AuthHero
// 9.6.1's Management API has no route that creates tenants, so the providers check for it and fail
// with that explanation instead of writing into a tenant nobody created.
import * as pulumi from "@pulumi/pulumi";
import type { ControlPlane, Defaults, ResolvedTenant } from "../../lib/catalog";
import { isEmail } from "../../lib/catalog/formats";
import { entityFingerprint } from "../../lib/identity/fingerprint";
import { naming } from "../../lib/naming";
import { assertNoProblems, childOptions } from "../options";
import { EntitySync, IdentitySeed, Organization, type IdentityConnectionArgs } from "./resources";

export interface TenantIdentityArgs {
  tenant: ResolvedTenant;
  /** `Catalog.controlPlane`: the resource servers and roles every tenant receives. */
  controlPlane: ControlPlane;
  /** `Catalog.defaults.access`: the admins' role and the roles every organization is granted. */
  access: Defaults["access"];
  /** The organization's display name; for a child tenant use `identityDisplayName(tenant.name, parent.name)`. */
  displayName: string;
  /** Every host name the tenant is served on; the default application's callback and logout URLs follow them. */
  hostnames: pulumi.Input<string>[];
  /** From stack config: identity server URL, M2M client id and secret (a secret), control-plane tenant id. */
  connection: { url: string; clientId: string; clientSecret: pulumi.Input<string>; controlPlaneTenantId: string };
}

export interface TenantIdentityOptions extends pulumi.ComponentResourceOptions {
  /** Resources every child must come after (and be deleted before): the parent tenant. */
  after?: pulumi.Resource[];
}

/** "Acme Corporation / Acme Research" for a child tenant; the tenant's own name otherwise. */
export function identityDisplayName(name: string, parentName?: string | null): string {
  return parentName ? `${parentName} / ${name}` : name;
}

/** Roles the organization grants every member: the catalog's default roles plus the tenant's own, once each. */
export function organizationRoles(tenant: Pick<ResolvedTenant, "access">, access: Defaults["access"]): string[] {
  return [...new Set([...access.default_roles, ...tenant.access.roles])].sort();
}

/** Every problem with the arguments, so a caller fixes them in one go. */
export function identityArgProblems(args: Omit<TenantIdentityArgs, "hostnames"> & { hostnames: unknown[] }): string[] {
  const problems: string[] = [];
  const declared = new Set(args.controlPlane.roles.map((r) => r.name));
  const undeclared = [args.access.admin_role, ...organizationRoles(args.tenant, args.access)].filter((r) => !declared.has(r));
  if (undeclared.length > 0) {
    problems.push(`role(s) ${[...new Set(undeclared)].join(", ")} are not declared in _control-plane.yaml (declared: ${[...declared].join(", ") || "none"})`);
  }
  if (!args.displayName.trim()) problems.push("displayName must not be empty");
  if (args.hostnames.length === 0) problems.push("hostnames must list at least one host name (the default application's callbacks follow them)");
  const badAdmins = args.tenant.access.admins.filter((a) => !isEmail(a));
  if (badAdmins.length > 0) problems.push(`admins must be e-mail addresses: ${badAdmins.join(", ")}`);
  const c = args.connection;
  for (const key of ["url", "clientId", "controlPlaneTenantId"] as const) {
    if (!c[key]) problems.push(`connection.${key} is empty; set it in stack config`);
  }
  if (c.url && !/^https:\/\/|^http:\/\/127\.0\.0\.1[:/]/.test(c.url)) problems.push(`connection.url ${c.url} must be https:// (plain http only on 127.0.0.1)`);
  if (c.controlPlaneTenantId === args.tenant.id) problems.push(`tenant id ${args.tenant.id} is the control-plane tenant's id; choose another id`);
  return problems;
}

export class TenantIdentity extends pulumi.ComponentResource {
  declare public readonly organizationId: pulumi.Output<string>;
  /** client_id of the tenant's default application. */
  declare public readonly applicationClientId: pulumi.Output<string>;
  declare public readonly identityTenant: string;
  /** The Organization's `suspendedMembers` (undefined unless suspended): the tenant's backup keeps them. */
  declare public readonly suspendedMembers: pulumi.Output<Record<string, string[]> | undefined>;

  constructor(name: string, args: TenantIdentityArgs, opts: TenantIdentityOptions = {}) {
    const { after = [], ...componentOpts } = opts;
    super("tenancy:identity:TenantIdentity", name, {}, componentOpts);
    assertNoProblems("TenantIdentity", name, identityArgProblems(args));
    const t = args.tenant;
    const connection: IdentityConnectionArgs = args.connection;

    const entities = new EntitySync(
      naming.resource(t.id, "identity-entities"),
      { connection, tenantId: t.id, entities: args.controlPlane, fingerprint: entityFingerprint(args.controlPlane) },
      childOptions(this, after),
    );
    // After the entity sync: the members' roles are the control plane's, which it creates.
    const organization = new Organization(
      naming.resource(t.id, "organization"),
      {
        connection,
        tenantId: t.id,
        displayName: args.displayName,
        metadata: { plan: t.plan, status: t.status, cell: t.cell },
        roles: organizationRoles(t, args.access),
        adminRole: args.access.admin_role,
        admins: t.access.admins,
        ...(t.adopt?.organization ? { adoptedName: t.adopt.organization } : {}),
      },
      childOptions(this, [...after, entities]),
    );
    const seed = new IdentitySeed(
      naming.resource(t.id, "identity-seed"),
      { connection, tenantId: t.id, hostnames: args.hostnames, admins: t.access.admins },
      childOptions(this, after),
    );

    this.identityTenant = naming.identityTenant(t.id);
    this.organizationId = organization.organizationId;
    this.suspendedMembers = organization.suspendedMembers;
    this.applicationClientId = seed.applicationClientId;
    this.registerOutputs({ organizationId: this.organizationId, applicationClientId: this.applicationClientId, identityTenant: this.identityTenant });
  }
}
