// A catalog change two runs may make at the same moment (two schema-mode tenants of one server
// migrate side by side in one database, and both close `public`): the loser's "tuple concurrently
// updated" means the winner made the same change, so it is done.
import type { Client } from "pg";

export async function idempotently(client: Client, sql: string): Promise<void> {
  await client.query("SAVEPOINT idempotent");
  try {
    await client.query(sql);
    await client.query("RELEASE SAVEPOINT idempotent");
  } catch (error) {
    if (!/tuple concurrently (updated|deleted)/.test((error as Error).message)) throw error;
    await client.query("ROLLBACK TO SAVEPOINT idempotent");
  }
}
