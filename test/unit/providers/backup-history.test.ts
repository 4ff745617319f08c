// Pure parts of whole-tenant backups: backup keys, retention's choice, the inputs TenantBackup
// checks, and the tenant file a restore writes.
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadCatalog, readCatalogDir } from "../../../lib/catalog";
import { backupConfiguration } from "../../../lib/lifecycle/places";
import { BACKUP_PARTS, naming } from "../../../lib/naming";
import { tenantFileFields } from "../../../lib/operate/tenant-file";
import { backupInputProblems } from "../../../providers/backup/backup";
import { expiredBackups, type BackupEntry } from "../../../providers/backup/history";
import { backupConfigurationProblems } from "./backup-fixtures";

describe("backup keys", () => {
  it("one folder per backup, named by its start time, whose tenant can be read back", () => {
    const key = naming.backupKey("acme", "2026-05-01T10:20:30.123Z");
    expect(key).toBe("backups/acme/2026-05-01T10-20-30-123Z/");
    expect(naming.backupTenant(key)).toBe("acme");
    expect(`${key}${BACKUP_PARTS.manifest}`).toBe("backups/acme/2026-05-01T10-20-30-123Z/manifest.json");
    expect(naming.backupObject(key, 7)).toBe("backups/acme/2026-05-01T10-20-30-123Z/objects/00000007");
    expect(naming.backupsOf("acme")).toBe("backups/acme/");
  });

  it("anything else is no backup key (so a delete or a restore refuses it)", () => {
    for (const bad of ["backups/acme/", "backups/acme/2026-05-01T10-20-30-123Z", "backups/acme/2026-05-01T10-20-30-123Z/database.dump", "backups/Acme/2026-05-01T10-20-30-123Z/", "../backups/acme/2026-05-01T10-20-30-123Z/", "tenants/acme/2026-05-01T10-20-30-123Z/"]) {
      expect(naming.backupTenant(bad), bad).toBeUndefined();
    }
  });

  it("the backups bucket of a region, and a name too long for S3 named with the key that fixes it", () => {
    expect(naming.backupBucket("acme-tenancy", "eu-west-1")).toBe("acme-tenancy-backups-eu-west-1");
    expect(() => naming.backupBucket("a".repeat(40), "ap-southeast-2")).toThrow(/is not a valid bucket name; set tenancy:backupBuckets.ap-southeast-2/);
  });
});

describe("retention", () => {
  const day = 86_400_000;
  const now = new Date("2026-06-01T00:00:00Z");
  const entry = (daysAgo: number, verified = true): BackupEntry => ({ key: `backups/acme/${daysAgo}/`, startedAt: new Date(now.getTime() - daysAgo * day), verified });

  it("removes backups older than the retention, never the latest verified one", () => {
    const backups = [entry(40), entry(31), entry(20), entry(2)];
    expect(expiredBackups(backups, 30, now)).toEqual(["backups/acme/40/", "backups/acme/31/"]);
    expect(expiredBackups(backups, 1, now)).toEqual(["backups/acme/40/", "backups/acme/31/", "backups/acme/20/"]);
  });

  it("keeps the latest verified backup however old, and removes an old unverified one", () => {
    // Offboarded long ago: its last good backup stays until someone deletes it on purpose.
    expect(expiredBackups([entry(400), entry(300)], 30, now)).toEqual(["backups/acme/400/"]);
    expect(expiredBackups([entry(400), entry(300, false)], 30, now)).toEqual(["backups/acme/300/"]);
    expect(expiredBackups([], 30, now)).toEqual([]);
  });
});

describe("TenantBackup inputs of a whole backup", () => {
  it("names a bad object place, retention and configuration", () => {
    const problems = backupConfigurationProblems(backupInputProblems);
    expect(problems).toEqual([
      { property: "objects", reason: expect.stringMatching(/^objects must name the tenant's bucket and its key prefix \("" or ending in "\/"\)/) },
      { property: "configuration", reason: "configuration must be the tenant's resolved configuration (an object)" },
      { property: "retentionDays", reason: "retentionDays must be a whole number of days from 1 to 3650 (backup.retention_days), got 0" },
    ]);
  });
});

describe("the tenant file a restore writes", () => {
  const loaded = loadCatalog(readCatalogDir("test/fixtures/catalogs/valid"), "test/fixtures/catalogs/valid");
  if (!loaded.ok) throw new Error("fixture catalog invalid");
  const catalog = loaded.catalog;
  const source = catalog.tenants.find((t) => t.id === "solo")!;

  it("the tenant as it was, explicitly: written back into the catalog, it resolves to the same tenant", () => {
    const fields = tenantFileFields(backupConfiguration(source), "solo", catalog);
    expect(fields).toMatchObject({ id: "solo", name: source.name, settings: source.settings, database: source.database, storage: source.storage, access: source.access });
    expect(fields.domains).toEqual({ subdomain: source.domains.subdomain });
    // created/deleted come from _defaults.yaml's hooks anyway: written too, they would be listed twice.
    expect(Object.keys((fields.hooks ?? {}) as object)).toEqual(["updated"]);
    const files = readCatalogDir("test/fixtures/catalogs/valid").map((f) => (f.name === "solo.yaml" ? { ...f, text: stringify(fields) } : f));
    const again = loadCatalog(files, "test/fixtures/catalogs/valid");
    if (!again.ok) throw new Error(JSON.stringify(again.errors));
    const { source: _a, ...before } = source;
    const { source: _b, ...after } = again.catalog.tenants.find((t) => t.id === "solo")!;
    expect(after).toEqual(before);
  });

  it("a clone gets its own id and no subdomain or custom domains of its source", () => {
    const fields = tenantFileFields(backupConfiguration(source), "solo-copy", catalog);
    expect(fields.id).toBe("solo-copy");
    expect(fields).not.toHaveProperty("domains");
    expect(fields.settings).toEqual(source.settings);
  });
});
