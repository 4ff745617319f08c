// Quoting for the SQL the project writes itself. A leaf: the SQL twin of the program's grants
// (layout.ts) and the engine-side runner both use it.

/** Every name the project gives a PostgreSQL object: lowercase, no quoting needed, at most 63 bytes. */
export const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A quoted identifier; refuses anything that is not a plain lowercase name, so no SQL can be injected. */
export function quoteIdent(identifier: string): string {
  if (!IDENTIFIER.test(identifier)) throw new Error(`not a safe PostgreSQL identifier: ${JSON.stringify(identifier)}`);
  return `"${identifier}"`;
}

/** A string literal. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
