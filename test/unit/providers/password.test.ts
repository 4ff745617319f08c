// TenantPassword (providers/postgres/password.ts): letters and digits only, as long as asked, new on
// create, kept by an update, new on a rotation (a harmless replacement).
import { describe, expect, test } from "vitest";
import { generatePassword, tenantPassword } from "../../../providers/postgres/password";

describe("TenantPassword", () => {
  test("generates URL-safe passwords of the asked length, all different", () => {
    const passwords = Array.from({ length: 200 }, () => generatePassword(40));
    for (const p of passwords) expect(p).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(new Set(passwords).size).toBe(200);
    // Every character of the alphabet turns up: no character is left out by the byte mapping.
    expect(new Set(passwords.join("")).size).toBe(62);
  });

  test("create outputs the password; read and update keep it; a rotation or a new length replaces", async () => {
    const created = await tenantPassword.create({ length: 40 });
    expect(created.outs.password).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(await tenantPassword.read(created.id, created.outs)).toEqual({ id: created.id, props: created.outs });
    expect(await tenantPassword.diff(created.id, created.outs, { length: 40 })).toEqual({ changes: false, replaces: [] });
    // Only a new loader text reaches update: the password stays.
    expect(await tenantPassword.diff(created.id, { ...created.outs, __provider: "old" }, { length: 40, __provider: "new" })).toEqual({ changes: true, replaces: [] });
    expect((await tenantPassword.update(created.id, created.outs, { length: 40 })).outs.password).toBe(created.outs.password);
    expect(await tenantPassword.diff(created.id, created.outs, { length: 40, rotation: 1 })).toEqual({ changes: true, replaces: ["rotation"] });
    expect(await tenantPassword.diff(created.id, created.outs, { length: 48 })).toEqual({ changes: true, replaces: ["length"] });
  });

  test("check refuses lengths a role password should not have", async () => {
    expect((await tenantPassword.check({}, { length: 8 })).failures).toEqual([{ property: "length", reason: "length must be a whole number from 16 to 128, got 8" }]);
    expect((await tenantPassword.check({}, { length: 40, rotation: -1 })).failures).toEqual([{ property: "rotation", reason: "rotation must be a whole number >= 0, got -1" }]);
  });
});
