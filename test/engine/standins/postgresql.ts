// STAND-IN for the postgresql provider plugin, which cannot be had on this machine (no download,
// and its Go module is not on the module proxy); used only by the engine tests. Unlike the echo
// stand-ins it does the real work: it creates, alters, reads and drops the roles, memberships,
// databases, schemas and grants on the server its provider config names (with `pg`), so the
// program's own dynamic providers (migrations, seeds) find what they expect, and refresh sees drift.
//
// It follows cyrilgdn/terraform-provider-postgresql v1.27.0 (the upstream pulumi-postgresql 3.18
// pins; git ff936b9), postgresql/resource_postgresql_{role,grant_role,database,schema,grant}.go and
// helpers.go: the same statements, force-new attributes, defaults and read-back. Only the inputs the
// program needs are implemented; Check refuses any other input instead of ignoring it.
import { createHash } from "node:crypto";
import { escapeIdentifier as ident, escapeLiteral as literal, Pool, type PoolClient } from "pg";
import { FORCE_NEW } from "../../../lib/plan/force-new";
import { serve, type Context, type Props, type ResourceType } from "./plugin-server";

// ---- connections ---------------------------------------------------------------------------------

/** `sslmode` as pg understands it (upstream hands it to lib/pq). */
const SSL: Record<string, false | { rejectUnauthorized: boolean }> = {
  disable: false,
  require: { rejectUnauthorized: false },
  "verify-full": { rejectUnauthorized: true },
};

const adminDatabase = (ctx: Context) => ctx.config.database || "postgres";
const adminUser = (ctx: Context) => ctx.config.username || "postgres";

const pools = new Map<string, Pool>();

function pool(ctx: Context, database: string): Pool {
  let p = pools.get(database);
  if (!p) {
    const { host, port, password, sslmode } = ctx.config;
    if (!(sslmode in SSL)) throw new Error(`provider config sslmode ${JSON.stringify(sslmode)}: the stand-in knows ${Object.keys(SSL).join("|")}`);
    // Room for the engine's parallel operations, each of which may hold a lock and a second session.
    p = new Pool({ host, port: Number(port || 5432), user: adminUser(ctx), password, database, ssl: SSL[sslmode], max: 20, idleTimeoutMillis: 1000 });
    // An idle session can be ended by the server (a dropped database's sessions are): forget it, do not crash.
    p.on("error", () => {});
    pools.set(database, p);
  }
  return p;
}

/** Closes this plugin's own sessions on `database`, which would block a rename and die with a drop. */
async function closeSessions(database: string): Promise<void> {
  await pools.get(database)?.end();
  pools.delete(database);
}

async function session<T>(ctx: Context, database: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool(ctx, database).connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

async function tx<T>(ctx: Context, database: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  return session(ctx, database, async (c) => {
    await c.query("BEGIN");
    try {
      const result = await fn(c);
      await c.query("COMMIT");
      return result;
    } catch (error) {
      await c.query("ROLLBACK");
      throw error;
    }
  });
}

const exists = async (c: PoolClient, sql: string, values: unknown[]) => (await c.query(sql, values)).rowCount! > 0;
const databaseExists = (ctx: Context, name: string) => session(ctx, adminDatabase(ctx), (c) => exists(c, "SELECT 1 FROM pg_database WHERE datname = $1", [name]));

// ---- locks and memberships (helpers.go) -------------------------------------------------------------

/** pgLockRole: serializes the engine's concurrent operations on one role and its members. */
async function lockRole(c: PoolClient, role: string): Promise<void> {
  await c.query("SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = $1", [role]);
  await c.query("SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members JOIN pg_roles ON roleid = pg_roles.oid WHERE rolname = $1", [role]);
}

/** pgLockDatabase: concurrent GRANTs on one database would fail with "tuple concurrently updated". */
async function lockDatabase(c: PoolClient, database: string): Promise<void> {
  await c.query("SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = $1", [database]);
}

const isMember = (c: PoolClient, role: string, member: string) =>
  exists(c, "SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2", [role, member]);

/** GRANT role TO member unless it already is one; true when granted. */
async function grantMembership(c: PoolClient, role: string, member: string): Promise<boolean> {
  if (role === member || (await isMember(c, role, member))) return false;
  await c.query(`GRANT ${ident(role)} TO ${ident(member)}`);
  return true;
}

async function revokeMembership(c: PoolClient, role: string, member: string): Promise<boolean> {
  if (role === member || !(await isMember(c, role, member))) return false;
  await c.query(`REVOKE ${ident(role)} FROM ${ident(member)}`);
  return true;
}

const isSuperuser = async (c: PoolClient, role: string) => (await c.query("SELECT rolsuper FROM pg_roles WHERE rolname = $1", [role])).rows[0]?.rolsuper === true;

/**
 * withRolesGranted: a non-superuser admin acts on another role's objects by becoming a member of
 * that role for the duration (dropping a reverse membership meanwhile, which PostgreSQL forbids
 * together with it). A superuser needs nothing.
 */
async function withRolesGranted<T>(c: PoolClient, roles: string[], fn: () => Promise<T>): Promise<T> {
  const me: string = (await c.query("SELECT current_user AS me")).rows[0].me;
  if (roles.length === 0 || (await isSuperuser(c, me))) return fn();
  const granted: string[] = [];
  const revoked: string[] = [];
  for (const role of roles) {
    // PostgreSQL refuses to grant a superuser role to a non-superuser.
    if (await isSuperuser(c, role)) continue;
    if (await revokeMembership(c, me, role)) revoked.push(role);
    if (await grantMembership(c, role, me)) granted.push(role);
  }
  const result = await fn();
  for (const role of granted) await revokeMembership(c, role, me);
  for (const role of revoked) await grantMembership(c, me, role);
  return result;
}

// ---- postgresql.Role (resource_postgresql_role.go) ------------------------------------------------

/** Boolean role attributes: input, pg_roles column, keyword (its negation is NO<keyword>). */
const ROLE_FLAGS = [
  ["superuser", "rolsuper", "SUPERUSER"],
  ["createDatabase", "rolcreatedb", "CREATEDB"],
  ["createRole", "rolcreaterole", "CREATEROLE"],
  ["inherit", "rolinherit", "INHERIT"],
  ["login", "rolcanlogin", "LOGIN"],
  ["replication", "rolreplication", "REPLICATION"],
  ["bypassRowLevelSecurity", "rolbypassrls", "BYPASSRLS"],
] as const;

const flag = (keyword: string, on: boolean) => (on ? keyword : `NO${keyword}`);
const validUntil = (v: string) => `VALID UNTIL ${literal(v.toLowerCase() === "infinity" ? "infinity" : v)}`;

function passwordClause(r: Props): string[] {
  if (!r.password) return [];
  if (String(r.password).toUpperCase() === "NULL") return ["PASSWORD NULL"];
  return [r.encryptedPassword ? "ENCRYPTED" : "UNENCRYPTED", `PASSWORD ${literal(r.password)}`];
}

/**
 * readRolePassword: the password as far as it can be checked. An md5 hash is compared with the
 * state's password; a SCRAM verifier cannot be, so upstream (and this) trusts the state then.
 */
async function readPassword(c: PoolClient, ctx: Context, name: string, state: Props, canLogin: boolean): Promise<string | undefined> {
  const password: string | undefined = state.password;
  if (!password || !canLogin || ctx.config.superuser === "false") return password;
  const stored: string = (await c.query("SELECT COALESCE(passwd, '') AS p FROM pg_catalog.pg_shadow WHERE usename = $1", [name])).rows[0]?.p ?? "";
  if (!password.startsWith("md5") && !password.startsWith("SCRAM-SHA-256")) {
    if (stored.startsWith("SCRAM-SHA-256")) return password;
    if (stored === `md5${createHash("md5").update(password + name).digest("hex")}`) return password;
  }
  return stored;
}

async function readRole(ctx: Context, name: string, state: Props) {
  return session(ctx, adminDatabase(ctx), async (c) => {
    const { rows } = await c.query(
      `SELECT ARRAY(SELECT pg_get_userbyid(roleid)::text FROM pg_catalog.pg_auth_members WHERE member = r.oid ORDER BY 1) AS roles,
              r.*, COALESCE(r.rolvaliduntil::TEXT, 'infinity') AS valid_until
         FROM pg_catalog.pg_roles r WHERE rolname = $1`,
      [name],
    );
    const r = rows[0];
    if (!r) return undefined;
    const outs: Props = { ...state, name: r.rolname, roles: r.roles, connectionLimit: r.rolconnlimit, validUntil: r.valid_until, encryptedPassword: true };
    for (const [input, column] of ROLE_FLAGS) outs[input] = r[column];
    const password = await readPassword(c, ctx, r.rolname, state, r.rolcanlogin);
    if (password !== undefined) outs.password = password;
    return { id: r.rolname as string, outs };
  });
}

const role: ResourceType = {
  forceNew: FORCE_NEW["postgresql:index/role:Role"],
  defaults: {
    encryptedPassword: true,
    validUntil: "infinity",
    connectionLimit: -1,
    superuser: false,
    createDatabase: false,
    createRole: false,
    inherit: true,
    login: false,
    replication: false,
    bypassRowLevelSecurity: false,
    skipDropRole: false,
    skipReassignOwned: false,
  },
  sets: ["roles"],
  supported: ["name", "password", "roles", "encryptedPassword", "validUntil", "connectionLimit", ...ROLE_FLAGS.map(([input]) => input), "skipDropRole", "skipReassignOwned"],
  check: (r) => (r.connectionLimit !== undefined && !Number.isInteger(r.connectionLimit) ? ["connectionLimit: must be an integer"] : []),
  async create(r, ctx) {
    await tx(ctx, adminDatabase(ctx), async (c) => {
      const options = [...passwordClause(r), validUntil(r.validUntil), `CONNECTION LIMIT ${r.connectionLimit}`, ...ROLE_FLAGS.map(([input, , kw]) => flag(kw, r[input]))];
      await c.query(`CREATE ROLE ${ident(r.name)} WITH ${options.join(" ")}`);
      for (const granted of r.roles ?? []) await c.query(`GRANT ${ident(granted)} TO ${ident(r.name)}`);
    });
    return (await readRole(ctx, r.name, r))!;
  },
  // By name, not id: the engine keeps the create-time id across a rename.
  read: (id, state, ctx) => readRole(ctx, state.name ?? id, state),
  async update(_id, olds, news, ctx) {
    await tx(ctx, adminDatabase(ctx), async (c) => {
      await lockRole(c, olds.name);
      const name = ident(news.name);
      if (news.name !== olds.name) await c.query(`ALTER ROLE ${ident(olds.name)} RENAME TO ${name}`);
      // A rename clears an md5 password, so it is set again.
      if (news.password && (news.password !== olds.password || news.name !== olds.name)) await c.query(`ALTER ROLE ${name} PASSWORD ${literal(news.password)}`);
      for (const [input, , kw] of ROLE_FLAGS) if (news[input] !== olds[input]) await c.query(`ALTER ROLE ${name} WITH ${flag(kw, news[input])}`);
      if (news.connectionLimit !== olds.connectionLimit) await c.query(`ALTER ROLE ${name} CONNECTION LIMIT ${news.connectionLimit}`);
      if (news.validUntil && news.validUntil !== olds.validUntil) await c.query(`ALTER ROLE ${name} ${validUntil(news.validUntil)}`);
      // revokeRoles then grantRoles: every membership of the role, then the wanted ones.
      const { rows } = await c.query("SELECT pg_get_userbyid(roleid) AS granted FROM pg_auth_members m JOIN pg_roles r ON m.member = r.oid WHERE rolname = $1", [news.name]);
      for (const { granted } of rows) await c.query(`REVOKE ${ident(granted)} FROM ${name}`);
      for (const granted of news.roles ?? []) await c.query(`GRANT ${ident(granted)} TO ${name}`);
    });
    return (await readRole(ctx, news.name, news))!.outs;
  },
  async delete(_id, r, ctx) {
    await tx(ctx, adminDatabase(ctx), async (c) => {
      await lockRole(c, r.name);
      if (!r.skipReassignOwned) {
        // What the role owns (in the provider's database, and shared objects such as databases) goes to the admin.
        await withRolesGranted(c, [r.name], async () => {
          await c.query(`REASSIGN OWNED BY ${ident(r.name)} TO ${ident(adminUser(ctx))}`);
          await c.query(`DROP OWNED BY ${ident(r.name)}`);
        });
      }
      if (!r.skipDropRole) await c.query(`DROP ROLE ${ident(r.name)}`);
    });
  },
};

// ---- postgresql.GrantRole (resource_postgresql_grant_role.go) -------------------------------------

const grantRole: ResourceType = {
  forceNew: FORCE_NEW["postgresql:index/grantRole:GrantRole"],
  defaults: { withAdminOption: false },
  supported: ["role", "grantRole", "withAdminOption"],
  async create(g, ctx) {
    await tx(ctx, adminDatabase(ctx), async (c) => {
      await c.query(`REVOKE ${ident(g.grantRole)} FROM ${ident(g.role)}`);
      await c.query(`GRANT ${ident(g.grantRole)} TO ${ident(g.role)}${g.withAdminOption ? " WITH ADMIN OPTION" : ""}`);
    });
    return { id: `${g.role}_${g.grantRole}_${g.withAdminOption}`, outs: g };
  },
  read: (id, g, ctx) =>
    session(ctx, adminDatabase(ctx), async (c) => {
      const { rows } = await c.query("SELECT admin_option FROM pg_auth_members WHERE pg_get_userbyid(member) = $1 AND pg_get_userbyid(roleid) = $2", [g.role, g.grantRole]);
      return rows[0] ? { id, outs: { ...g, withAdminOption: rows[0].admin_option } } : undefined;
    }),
  async delete(_id, g, ctx) {
    await tx(ctx, adminDatabase(ctx), (c) => c.query(`REVOKE ${ident(g.grantRole)} FROM ${ident(g.role)}`));
  },
};

// ---- postgresql.Database (resource_postgresql_database.go) ----------------------------------------

/**
 * Runs `fn` in a session on the admin database while the admin is a member of `owner` (granted for
 * the duration, as upstream does), so a non-superuser admin may create, hand over or drop it.
 */
async function asOwnerMember<T>(ctx: Context, owner: string | undefined, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const admin = adminUser(ctx);
  return tx(ctx, adminDatabase(ctx), async (lock) => {
    await lockRole(lock, admin);
    return session(ctx, adminDatabase(ctx), async (c) => {
      const granted = owner ? await grantMembership(c, owner, admin) : false;
      try {
        return await fn(c);
      } finally {
        if (granted) await revokeMembership(c, owner!, admin);
      }
    });
  });
}

/** A CREATE DATABASE clause: `DEFAULT` passes through, anything else quoted. */
const setting = (keyword: string, value: string, quote: (v: string) => string) => (value.toUpperCase() === "DEFAULT" ? `${keyword} DEFAULT` : `${keyword} ${quote(value)}`);

async function readDatabase(ctx: Context, name: string, state: Props) {
  return session(ctx, adminDatabase(ctx), async (c) => {
    const { rows } = await c.query(
      `SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba) AS owner, pg_catalog.pg_encoding_to_char(d.encoding) AS encoding,
              d.datcollate, d.datctype, ts.spcname, d.datconnlimit, d.datallowconn, d.datistemplate
         FROM pg_catalog.pg_database d JOIN pg_catalog.pg_tablespace ts ON d.dattablespace = ts.oid WHERE d.datname = $1`,
      [name],
    );
    const d = rows[0];
    if (!d) return undefined;
    const outs: Props = {
      ...state,
      name: d.datname,
      owner: d.owner,
      encoding: d.encoding,
      lcCollate: d.datcollate,
      lcCtype: d.datctype,
      tablespaceName: d.spcname,
      connectionLimit: d.datconnlimit,
      allowConnections: d.datallowconn,
      isTemplate: d.datistemplate,
      template: state.template || "template0",
    };
    return { id: d.datname as string, outs };
  });
}

const database: ResourceType = {
  forceNew: FORCE_NEW["postgresql:index/database:Database"],
  defaults: { connectionLimit: -1, allowConnections: true, alterObjectOwnership: false },
  supported: ["name", "owner", "template", "encoding", "lcCollate", "lcCtype", "connectionLimit", "allowConnections", "isTemplate", "alterObjectOwnership"],
  check: (d) => (d.alterObjectOwnership ? ["alterObjectOwnership: true is not supported by the stand-in provider"] : []),
  async create(d, ctx) {
    const clauses = [
      `OWNER ${ident(d.owner ?? adminUser(ctx))}`,
      d.template ? setting("TEMPLATE", d.template, ident) : "TEMPLATE template0",
      d.encoding ? setting("ENCODING", d.encoding, literal) : "ENCODING 'UTF8'",
      ...(d.lcCollate ? [setting("LC_COLLATE", d.lcCollate, literal)] : []),
      ...(d.lcCtype ? [setting("LC_CTYPE", d.lcCtype, literal)] : []),
      `ALLOW_CONNECTIONS ${d.allowConnections}`,
      `CONNECTION LIMIT ${d.connectionLimit}`,
      `IS_TEMPLATE ${d.isTemplate ?? false}`,
    ];
    await asOwnerMember(ctx, d.owner, (c) => c.query(`CREATE DATABASE ${ident(d.name)} ${clauses.join(" ")}`));
    return (await readDatabase(ctx, d.name, d))!;
  },
  read: (id, state, ctx) => readDatabase(ctx, state.name ?? id, state),
  async update(_id, olds, news, ctx) {
    await session(ctx, adminDatabase(ctx), async (c) => {
      if (news.name !== olds.name) {
        await closeSessions(olds.name);
        await c.query(`ALTER DATABASE ${ident(olds.name)} RENAME TO ${ident(news.name)}`);
      }
      const name = ident(news.name);
      if (news.connectionLimit !== olds.connectionLimit) await c.query(`ALTER DATABASE ${name} CONNECTION LIMIT = ${news.connectionLimit}`);
      if (news.allowConnections !== olds.allowConnections) await c.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${news.allowConnections}`);
      if (news.isTemplate !== undefined && news.isTemplate !== olds.isTemplate) await c.query(`ALTER DATABASE ${name} IS_TEMPLATE ${news.isTemplate}`);
    });
    if (news.owner && news.owner !== olds.owner) {
      await asOwnerMember(ctx, news.owner, (c) => c.query(`ALTER DATABASE ${ident(news.name)} OWNER TO ${ident(news.owner)}`));
    }
    return (await readDatabase(ctx, news.name, news))!.outs;
  },
  async delete(_id, d, ctx) {
    await closeSessions(d.name);
    await asOwnerMember(ctx, d.owner, async (c) => {
      const name = ident(d.name);
      if (d.isTemplate) await c.query(`ALTER DATABASE ${name} IS_TEMPLATE false`);
      // terminateBConnections: no new sessions, then end the open ones.
      await c.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [d.name]);
      await c.query(`DROP DATABASE ${name} WITH (FORCE)`);
    });
  },
};

// ---- postgresql.Schema (resource_postgresql_schema.go) --------------------------------------------

const databaseOwner = async (c: PoolClient) => (await c.query("SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()")).rows[0].owner as string;

async function readSchema(ctx: Context, state: Props) {
  const db: string = state.database ?? adminDatabase(ctx);
  if (!(await databaseExists(ctx, db))) return undefined;
  return session(ctx, db, async (c) => {
    const { rows } = await c.query("SELECT pg_catalog.pg_get_userbyid(nspowner) AS owner FROM pg_catalog.pg_namespace WHERE nspname = $1", [state.name]);
    if (!rows[0]) return undefined;
    return { id: `${db}.${state.name}`, outs: { ...state, database: db, owner: rows[0].owner } };
  });
}

const schema: ResourceType = {
  forceNew: FORCE_NEW["postgresql:index/schema:Schema"],
  defaults: { ifNotExists: true, dropCascade: false },
  supported: ["name", "database", "owner", "ifNotExists", "dropCascade"],
  async create(s, ctx) {
    const db: string = s.database ?? adminDatabase(ctx);
    await tx(ctx, db, async (c) => {
      const dbOwner = await databaseOwner(c);
      const roles = s.owner && s.owner !== dbOwner ? [dbOwner, s.owner] : [dbOwner];
      await withRolesGranted(c, roles, async () => {
        if (await exists(c, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", [s.name])) {
          // An existing schema is adopted, and handed to the wanted owner.
          if (s.owner) await c.query(`ALTER SCHEMA ${ident(s.name)} OWNER TO ${ident(s.owner)}`);
        } else {
          const owner = s.owner ? ` AUTHORIZATION ${ident(s.owner)}` : "";
          await c.query(`CREATE SCHEMA ${s.ifNotExists ? "IF NOT EXISTS " : ""}${ident(s.name)}${owner}`);
        }
      });
    });
    return (await readSchema(ctx, { ...s, database: db }))!;
  },
  read: (_id, state, ctx) => readSchema(ctx, state),
  async update(_id, olds, news, ctx) {
    const db: string = olds.database;
    await tx(ctx, db, async (c) => {
      if (news.name !== olds.name) await c.query(`ALTER SCHEMA ${ident(olds.name)} RENAME TO ${ident(news.name)}`);
      if (news.owner && news.owner !== olds.owner) await c.query(`ALTER SCHEMA ${ident(news.name)} OWNER TO ${ident(news.owner)}`);
    });
    return (await readSchema(ctx, { ...news, database: db }))!.outs;
  },
  async delete(_id, s, ctx) {
    await tx(ctx, s.database, async (c) => {
      if (!(await exists(c, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", [s.name]))) return;
      await withRolesGranted(c, [s.owner], () => c.query(`DROP SCHEMA ${ident(s.name)} ${s.dropCascade ? "CASCADE" : "RESTRICT"}`));
    });
  },
};

// ---- postgresql.Grant (resource_postgresql_grant.go), on a database or a schema -------------------

/** allowedPrivileges (helpers.go) of the object types implemented; ALL stands for all the others. */
const PRIVILEGES: Record<string, string[]> = { database: ["ALL", "CREATE", "CONNECT", "TEMPORARY"], schema: ["ALL", "CREATE", "USAGE"] };

const target = (g: Props) => (g.objectType === "database" ? `DATABASE ${ident(g.database)}` : `SCHEMA ${ident(g.schema)}`);

/** getRolesToGrant: the schema's owner, whose privileges a non-superuser admin must borrow; none for a database. */
async function owners(c: PoolClient, g: Props): Promise<string[]> {
  if (g.objectType !== "schema") return [];
  const owner: string = (await c.query("SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1", [g.schema])).rows[0].owner;
  return [owner === "pg_database_owner" ? await databaseOwner(c) : owner];
}

/** Revokes everything on the target, then grants the wanted privileges: create and update alike. */
async function applyGrant(ctx: Context, g: Props): Promise<{ id: string; outs: Props }> {
  await tx(ctx, g.database, async (c) => {
    await lockRole(c, g.role);
    if (g.objectType === "database") await lockDatabase(c, g.database);
    await withRolesGranted(c, await owners(c, g), async () => {
      await c.query(`REVOKE ALL PRIVILEGES ON ${target(g)} FROM ${ident(g.role)}`);
      // An empty list leaves it revoked.
      if (g.privileges.length > 0) await c.query(`GRANT ${g.privileges.join(",")} ON ${target(g)} TO ${ident(g.role)}${g.withGrantOption ? " WITH GRANT OPTION" : ""}`);
    });
  });
  return (await readGrant(ctx, g))!;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

async function readGrant(ctx: Context, g: Props) {
  // checkRoleDBSchemaExists: the grant is gone with its database, role or schema.
  if (!(await databaseExists(ctx, g.database))) return undefined;
  return session(ctx, g.database, async (c) => {
    if (g.role !== "public" && !(await exists(c, "SELECT 1 FROM pg_roles WHERE rolname = $1", [g.role]))) return undefined;
    if (g.objectType === "schema" && !(await exists(c, "SELECT 1 FROM pg_namespace WHERE nspname = $1", [g.schema]))) return undefined;
    const acl = g.objectType === "database" ? "SELECT (aclexplode(datacl)).* FROM pg_database WHERE datname = $1" : "SELECT (aclexplode(nspacl)).* FROM pg_namespace WHERE nspname = $1";
    const { rows } = await c.query(
      `SELECT COALESCE(array_agg(privilege_type::text ORDER BY privilege_type), '{}') AS granted FROM (${acl}) acl
        WHERE grantee = CASE WHEN $2 = 'public' THEN 0 ELSE (SELECT oid FROM pg_roles WHERE rolname = $2) END`,
      [g.objectType === "database" ? g.database : g.schema, g.role],
    );
    const granted: string[] = rows[0].granted;
    // resourcePrivilegesEqual: ALL equals every privilege of the type.
    const wanted: string[] = g.privileges.includes("ALL") ? PRIVILEGES[g.objectType].filter((p) => p !== "ALL") : g.privileges;
    const privileges = sameSet(granted, wanted) ? g.privileges : granted;
    const id = [g.role, g.database, ...(g.objectType === "schema" ? [g.schema] : []), g.objectType].join("_");
    return { id, outs: { ...g, privileges } };
  });
}

const grant: ResourceType = {
  // Every attribute but `privileges`, which upstream updates in place since v1.24 (#476, "replaces
  // postgresql_grant all the time"): revoke everything on the target, grant the new list.
  forceNew: FORCE_NEW["postgresql:index/grant:Grant"],
  defaults: { withGrantOption: false },
  sets: ["privileges"],
  supported: ["role", "database", "schema", "objectType", "privileges", "withGrantOption"],
  check(g) {
    const allowed = PRIVILEGES[g.objectType];
    if (!allowed) return [`objectType: the stand-in provider implements ${Object.keys(PRIVILEGES).join("|")}, not ${JSON.stringify(g.objectType)}`];
    if (g.objectType === "schema" && !g.schema) return ["schema: parameter 'schema' is mandatory for postgresql_grant resource"];
    return (g.privileges ?? []).filter((p: string) => !allowed.includes(p)).map((p: string) => `privileges: ${p} is not a privilege on a ${g.objectType} (${allowed.join(", ")})`);
  },
  create: (g, ctx) => applyGrant(ctx, g),
  read: (_id, g, ctx) => readGrant(ctx, g),
  update: async (_id, _olds, news, ctx) => (await applyGrant(ctx, news)).outs,
  async delete(_id, g, ctx) {
    await tx(ctx, g.database, async (c) => {
      await lockRole(c, g.role);
      if (g.objectType === "database") await lockDatabase(c, g.database);
      await withRolesGranted(c, await owners(c, g), () => c.query(`REVOKE ALL PRIVILEGES ON ${target(g)} FROM ${ident(g.role)}`));
    });
  },
};

serve({
  pkg: "postgresql",
  resources: {
    "postgresql:index/role:Role": role,
    "postgresql:index/grantRole:GrantRole": grantRole,
    "postgresql:index/database:Database": database,
    "postgresql:index/schema:Schema": schema,
    "postgresql:index/grant:Grant": grant,
  },
});
