// The database a tenant's tables live in, made safe before anything is migrated into it. Run by the
// runner at the start of every run, in the preparing transaction (as the owner role in shared
// mode); each step changes something only when it is not so already.
//
// - database mode: the admin must own the database (a tenant that owns it can give it settings
//   every later session takes, `ALTER DATABASE ... SET role`, and create schemas and functions);
//   settings given to the database while its tenant owned it are reset; the tenant gets CONNECT
//   and TEMPORARY on it (PUBLIC has nothing: the Grant to `public` revokes it).
// - every mode: PUBLIC may not CREATE in `public`; in the server's shared databases it may not
//   even use it, and in the shared database functions are created without EXECUTE for PUBLIC.
// - where the admin is a superuser: what other tenants' sessions and tables show is hidden
//   (visibility.ts).
import type { Client } from "pg";
import { quoteIdent as q } from "../../lib/database/sql";
import { idempotently } from "./idempotent";
import { hideOtherTenants } from "./visibility";
import type { Target } from "./target";

async function secureOwnDatabase(client: Client, target: Target): Promise<void> {
  const db = q(target.database);
  const { rows } = await client.query(
    `SELECT pg_get_userbyid(d.datdba) AS owner,
            EXISTS (SELECT 1 FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0) AS has_settings,
            has_database_privilege($1, d.oid, 'CONNECT') AND has_database_privilege($1, d.oid, 'TEMPORARY') AS granted
       FROM pg_database d WHERE d.datname = current_database()`,
    [target.role],
  );
  const own = rows[0];
  // (A template database is migrated with the admin as its "tenant": that one may own itself.)
  if (own.owner === target.role && target.role !== target.user) {
    throw new Error(
      `database ${target.database} is owned by ${target.role}, the tenant's own role; the admin must own it (its postgresql.Database owner), so nothing was migrated`,
    );
  }
  if (own.has_settings) await client.query(`ALTER DATABASE ${db} RESET ALL`);
  if (!own.granted) await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${q(target.role)}`);
}

async function closePublic(client: Client, target: Target): Promise<void> {
  const { rows } = await client.query(
    `SELECT ARRAY(SELECT a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'public' AND a.grantee = 0) AS public_holds`,
  );
  const held: string[] = rows[0].public_holds;
  // A tenant's own database keeps USAGE: its tenant may have put objects there while it owned it.
  const closed = target.isolation === "database" ? held.filter((p) => p === "CREATE") : held;
  if (closed.length > 0) await idempotently(client, `REVOKE ${closed.join(", ")} ON SCHEMA public FROM PUBLIC`);
  if (target.isolation !== "shared") return;
  const { rows: defaults } = await client.query(
    `SELECT EXISTS (SELECT 1 FROM pg_default_acl d WHERE d.defaclrole = $1::regrole AND d.defaclnamespace = 0 AND d.defaclobjtype = 'f'
                     AND NOT EXISTS (SELECT 1 FROM aclexplode(d.defaclacl) a WHERE a.grantee = 0)) AS closed`,
    [target.ownerRole],
  );
  if (!defaults[0].closed) await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${q(target.ownerRole)} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`);
}

export async function securePlace(client: Client, target: Target): Promise<void> {
  if (target.isolation === "database") await secureOwnDatabase(client, target);
  await closePublic(client, target);
  await hideOtherTenants(client);
}
