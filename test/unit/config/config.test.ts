// Stack config: Pulumi.yaml against Pulumi's own project schema, the example stack file, and
// parseTenancyConfig / readTenancyConfig on good and bad values, with secrets kept secret.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";
import { afterEach, describe, expect, test } from "vitest";
import { backupBucketName, ConfigInvalidError, OBJECT_KEYS, parseTenancyConfig, PlainConfigSchema, rawConfigFromStackFile, readTenancyConfig, SECRET_KEYS, WEBHOOK_SECRET_MIN_LENGTH, FIXED_KEYS } from "../../../lib/config";
import { exampleRawConfig, ROOT } from "../tenancy-fixtures";

const ALL_KEYS = [...Object.keys(PlainConfigSchema.shape), ...SECRET_KEYS].sort();
const CANARY = "canary-1c0ffee-config-secret";

const secretValue = (output: pulumi.Output<string>) => new Promise<string>((resolve) => output.apply(resolve));
const isSecret = (output: pulumi.Output<unknown>) => (output as unknown as { isSecret: Promise<boolean> }).isSecret;

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    parseTenancyConfig(raw);
  } catch (err) {
    if (err instanceof ConfigInvalidError) return [...err.problems];
    throw err;
  }
  throw new Error("config was accepted");
}

describe("Pulumi.yaml", () => {
  const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"));

  test("is valid against Pulumi's project schema", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "pulumi-project.schema.json"), "utf8"));
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
    expect(validate(project), JSON.stringify(validate.errors)).toBe(true);
    // The schema does catch a wrong declaration, such as an object type.
    expect(validate({ ...project, config: { ...project.config, databaseServers: { type: "object", description: "x" } } })).toBe(false);
  });

  test("declares every key that is not a map, with type and description; secrets as secret", () => {
    const declared = project.config as Record<string, { type: string; description: string; secret?: boolean }>;
    expect(Object.keys(declared).sort()).toEqual(ALL_KEYS.filter((k) => !OBJECT_KEYS.has(k) && !FIXED_KEYS.has(k)));
    for (const [key, decl] of Object.entries(declared)) {
      expect(decl.type, key).toBe("string");
      expect(decl.description.length, key).toBeGreaterThan(10);
      expect(decl.secret ?? false, key).toBe((SECRET_KEYS as readonly string[]).includes(key));
    }
    // Pulumi requires every declared key without a default in every stack ("missing configuration
    // value"): so those are exactly the keys the program requires, and a default is one it accepts.
    for (const [key, decl] of Object.entries(declared as Record<string, { default?: unknown; secret?: boolean }>)) {
      if (decl.secret) continue;
      const schema = PlainConfigSchema.shape[key as keyof typeof PlainConfigSchema.shape];
      if (decl.default === undefined) expect(schema.safeParse(undefined).success, `${key} has no default, so the program must require it`).toBe(false);
      else expect(schema.safeParse(decl.default).success, `${key}'s default must be accepted`).toBe(true);
    }
    // The map-valued keys, which Pulumi.yaml cannot declare, are described in its comments.
    const text = readFileSync(join(ROOT, "Pulumi.yaml"), "utf8");
    for (const key of OBJECT_KEYS) expect(text).toContain(`#   tenancy:${key} `);
  });
});

describe("Pulumi.example.yaml", () => {
  test("sets every key, the secret ones only as secure placeholders", () => {
    const text = readFileSync(join(ROOT, "Pulumi.example.yaml"), "utf8");
    const raw = rawConfigFromStackFile(text);
    // s3Endpoint is for S3-compatible servers only, backupBuckets only where a region's backups bucket
    // is not named <bucketPrefix>-backups-<region>, and the older backupBucket/backupRegion pair is read
    // only from stacks that set it: the example, written for AWS, shows the first two commented out.
    // The cell is the stack's name and the catalog is always tenants/: a stack file sets neither.
    const optional = ["s3Endpoint", "backupBuckets", "backupBucket", "backupRegion"];
    expect(Object.keys(raw).sort()).toEqual(ALL_KEYS.filter((k) => !optional.includes(k) && !FIXED_KEYS.has(k)));
    expect(text).toMatch(/^ {2}# tenancy:s3Endpoint: https:\/\//m);
    expect(text).toMatch(/^ {2}# tenancy:backupBuckets:\n {2}# {3}eu-west-1: /m);
    const doc = parse(text).config as Record<string, unknown>;
    expect(doc["tenancy:controlPlaneClientSecret"]).toEqual({ secure: expect.stringContaining("PLACEHOLDER") });
    expect(doc["tenancy:webhookSecret"]).toEqual({ secure: expect.stringContaining("PLACEHOLDER") });
    expect(doc["tenancy:databasePasswords"]).toEqual({ main: { secure: expect.stringContaining("PLACEHOLDER") } });
  });

  test("parses into a complete TenancyConfig", async () => {
    const config = parseTenancyConfig(exampleRawConfig());
    expect(config).toMatchObject({
      cell: "default",
      bucketPrefix: "example-tenancy",
      baseDomain: "saas.example.com",
      controlPlane: { url: "https://auth.saas.example.com", clientId: "tenancy-provisioner", tenantId: "control-plane" },
      databaseServers: {
        main: { name: "main", host: "db-main.internal.example.com", port: 5432, adminUser: "tenancy_admin", sslmode: "verify-full", sslrootcert: "certs/db-main-ca.pem", manageShared: true },
      },
    });
    expect(await isSecret(config.databaseServers.main.password)).toBe(true);
  });
});

describe("the stack file cannot point the program elsewhere", () => {
  test("the cell is the stack's name; a stack file naming another cell is refused", () => {
    expect(parseTenancyConfig(exampleRawConfig(), "eu-1").cell).toBe("eu-1");
    expect(parseTenancyConfig(exampleRawConfig({ cell: "eu-1" }), "eu-1").cell).toBe("eu-1");
    expect(() => parseTenancyConfig(exampleRawConfig({ cell: "eu-9" }), "eu-1")).toThrow(
      'tenancy:cell: "eu-9" is not this stack\'s name "eu-1"; a stack deploys the cell it is named after: remove tenancy:cell from Pulumi.eu-1.yaml',
    );
    expect(() => parseTenancyConfig(exampleRawConfig(), "EU_1")).toThrow(/stack name "EU_1": a stack deploys the cell it is named after, so its name must be a cell name/);
  });

  test("the catalog is always tenants/: another tenantsDir is refused", () => {
    expect(() => parseTenancyConfig(exampleRawConfig({ tenantsDir: "tenants" }), "eu-1")).not.toThrow();
    expect(() => parseTenancyConfig(exampleRawConfig({ tenantsDir: "other" }), "eu-1")).toThrow(
      "tenancy:tenantsDir: the catalog is always tenants/ beside Pulumi.yaml; remove tenancy:tenantsDir from the stack file",
    );
  });
});

describe("parseTenancyConfig", () => {
  test("fills in defaults", () => {
    const raw = exampleRawConfig();
    raw.databaseServers = { main: { host: "db", adminUser: "admin", sslrootcert: "certs/db-main-ca.pem" } };
    const config = parseTenancyConfig(raw);
    expect(config.cell).toBe("default");
    expect(config.databaseServers.main).toMatchObject({ port: 5432, sslmode: "verify-full", manageShared: true });
    expect(config.databaseServers.main.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  test("verify-full is the default and needs the CA file, read and checked, or the key is named", () => {
    const servers = (main: Record<string, unknown>) => ({ ...exampleRawConfig(), databaseServers: { main: { host: "db", adminUser: "admin", ...main } } });
    expect(problemsOf(servers({}))).toEqual([
      "tenancy:databaseServers.main.sslrootcert: missing; sslmode verify-full (the default) checks the server's certificate against this CA file (PEM, relative to Pulumi.yaml); sslmode require is available but unsafe (SECURITY.md)",
    ]);
    expect(problemsOf(servers({ sslrootcert: "certs/no-such.pem" }))).toEqual([
      "tenancy:databaseServers.main.sslrootcert: cannot read certs/no-such.pem (ENOENT); expected the PEM file of the CA that signs the server's certificate, relative to Pulumi.yaml",
    ]);
    expect(problemsOf(servers({ sslrootcert: "Pulumi.yaml" }))).toEqual(["tenancy:databaseServers.main.sslrootcert: Pulumi.yaml holds no PEM certificate (-----BEGIN CERTIFICATE-----)"]);
    // require and disable need no CA (require is documented as unsafe).
    expect(() => parseTenancyConfig(servers({ sslmode: "require" }))).not.toThrow();
  });

  test("reports every problem at once, each named by its key", () => {
    expect(problemsOf({})).toEqual([
      "tenancy:databaseServers: missing; set it with `pulumi config set`",
      "tenancy:bucketPrefix: missing; set it with `pulumi config set`",
      "tenancy:cloudflareZoneId: missing; set it with `pulumi config set`",
      "tenancy:baseDomain: missing; set it with `pulumi config set`",
      "tenancy:ingressTarget: missing; set it with `pulumi config set`",
      "tenancy:maintenanceTarget: missing; set it with `pulumi config set`",
      "tenancy:controlPlane: missing; set it with `pulumi config set`",
      "tenancy:controlPlaneClientSecret: missing; set it with `pulumi config set --secret tenancy:controlPlaneClientSecret <value>`",
      "tenancy:webhookSecret: missing; set it with `pulumi config set --secret tenancy:webhookSecret <value>`",
      "tenancy:databasePasswords: missing; expected a secret map of server name -> admin password (pulumi config set --secret --path 'tenancy:databasePasswords.main' <password>)",
    ]);
    expect(
      problemsOf(
        exampleRawConfig({
          bucketPrefix: "Bad_Prefix",
          backupRegion: "mars-1",
          databaseServers: { main: { host: "db", adminUser: "admin", port: 70000, sslmode: "maybe", shardDatabase: "x" }, replica: { host: "db2", adminUser: "admin", port: "5432" } },
          controlPlane: { url: "ftp://x", clientId: "c", tenantId: "t" },
          extra: 1,
        }),
      ),
    ).toEqual([
      "tenancy:databaseServers.main.port: Too big: expected number to be <=65535",
      'tenancy:databaseServers.main.sslmode: Invalid option: expected one of "disable"|"require"|"verify-full"',
      'tenancy:databaseServers.main: unknown key(s) "shardDatabase"',
      "tenancy:databaseServers.replica.port: Invalid input: expected number, received string",
      "tenancy:bucketPrefix: expected 1-22 lowercase letters, digits or inner hyphens, such as acme-tenancy",
      "tenancy:backupRegion: expected an AWS region name such as eu-west-1",
      "tenancy:controlPlane.url: expected the control plane's base URL, such as https://auth.example.com",
      'tenancy: unknown key(s) "extra"',
    ]);
  });

  test("backups stay in the tenant's region: one bucket per region, named from the prefix unless the stack names it", () => {
    const config = parseTenancyConfig(exampleRawConfig({ backupBuckets: { "us-east-1": "acme-us-backups" } }));
    expect(backupBucketName(config, "eu-west-1")).toBe("example-tenancy-backups-eu-west-1");
    expect(backupBucketName(config, "us-east-1")).toBe("acme-us-backups");
    // The older single bucket keeps serving its region, so a stack that set it finds its backups there.
    const older = parseTenancyConfig(exampleRawConfig({ backupBucket: "example-tenancy-backups", backupRegion: "eu-west-1" }));
    expect([backupBucketName(older, "eu-west-1"), backupBucketName(older, "eu-central-1")]).toEqual(["example-tenancy-backups", "example-tenancy-backups-eu-central-1"]);
    expect(problemsOf(exampleRawConfig({ backupBucket: "example-tenancy-backups" }))).toEqual([
      "tenancy:backupRegion: missing; backupBucket and backupRegion name one region's backups bucket together (or set tenancy:backupBuckets.<region> instead)",
    ]);
    // Keys are AWS regions: anything else is named.
    expect(problemsOf(exampleRawConfig({ backupBuckets: { "mars-1": "x-backups" } }))).toEqual([`tenancy:backupBuckets: unknown key(s) "mars-1"`]);
  });

  test("every server needs a password, and every password a server", () => {
    expect(problemsOf(exampleRawConfig({ databasePasswords: { replica: "x" } }))).toEqual([
      "tenancy:databasePasswords.main: missing; every server in databaseServers needs its admin password (pulumi config set --secret --path 'tenancy:databasePasswords.main' <password>)",
      'tenancy:databasePasswords.replica: no server "replica" in tenancy:databaseServers',
    ]);
  });

  test("a secret's value never appears in a message, even when it is wrong", () => {
    const problems = problemsOf(exampleRawConfig({ databasePasswords: { main: 4242 }, controlPlaneClientSecret: { value: CANARY } }));
    expect(problems).toEqual([
      "tenancy:controlPlaneClientSecret: expected a string; set it with `pulumi config set --secret tenancy:controlPlaneClientSecret <value>`",
      "tenancy:databasePasswords.main: expected a non-empty string",
    ]);
    expect(problems.join("\n")).not.toMatch(new RegExp(`4242|${CANARY}`));
  });

  test("a webhook secret shorter than the hooks accept is refused, without its value or length", () => {
    const short = "s3cr3t-canary-15";
    expect(short.length).toBe(WEBHOOK_SECRET_MIN_LENGTH);
    expect(() => parseTenancyConfig(exampleRawConfig({ webhookSecret: short }))).not.toThrow();
    const tooShort = short.slice(1);
    const problems = problemsOf(exampleRawConfig({ webhookSecret: tooShort }));
    expect(problems).toEqual([`tenancy:webhookSecret: too short; expected at least ${WEBHOOK_SECRET_MIN_LENGTH} characters, such as the output of \`openssl rand -hex 32\``]);
    expect(problems.join("\n")).not.toMatch(new RegExp(`${tooShort}|\\b${tooShort.length}\\b`));
  });

  test("a webhook secret must be text, so its length is checked before anything is registered", () => {
    expect(problemsOf(exampleRawConfig({ webhookSecret: pulumi.output(CANARY) }))).toEqual([
      "tenancy:webhookSecret: expected a string; set it with `pulumi config set --secret tenancy:webhookSecret <value>`",
    ]);
  });

  test("secrets come back as secret Outputs", async () => {
    const config = parseTenancyConfig(exampleRawConfig({ databasePasswords: { main: CANARY }, controlPlaneClientSecret: CANARY, webhookSecret: CANARY }));
    for (const output of [config.databaseServers.main.password, config.controlPlaneClientSecret, config.webhookSecret]) {
      expect(await isSecret(output)).toBe(true);
      expect(await secretValue(output)).toBe(CANARY);
    }
  });
});

describe("readTenancyConfig", () => {
  afterEach(() => pulumi.runtime.setAllConfig({}));

  test("reads the stack's tenancy:* keys, objects as JSON, secrets as secrets", async () => {
    const raw = exampleRawConfig({ databasePasswords: { main: CANARY }, webhookSecret: CANARY });
    pulumi.runtime.setAllConfig(
      Object.fromEntries(Object.entries(raw).map(([k, v]) => [`tenancy:${k}`, typeof v === "string" ? v : JSON.stringify(v)])),
      ["tenancy:databasePasswords", "tenancy:controlPlaneClientSecret", "tenancy:webhookSecret"],
    );
    const config = readTenancyConfig(undefined, "eu-2");
    expect(config.cell).toBe("eu-2");
    expect(config.databaseServers.main.port).toBe(5432);
    expect(await isSecret(config.databaseServers.main.password)).toBe(true);
    expect(await secretValue(config.webhookSecret)).toBe(CANARY);
  });

  test("checks the webhook secret's length before anything is registered", () => {
    const raw = exampleRawConfig({ webhookSecret: "too-short-x" });
    pulumi.runtime.setAllConfig(
      Object.fromEntries(Object.entries(raw).map(([k, v]) => [`tenancy:${k}`, typeof v === "string" ? v : JSON.stringify(v)])),
      ["tenancy:databasePasswords", "tenancy:controlPlaneClientSecret", "tenancy:webhookSecret"],
    );
    expect(() => readTenancyConfig()).toThrow(/^stack config is invalid \(1 problem\(s\)\):\n  tenancy:webhookSecret: too short; expected at least 16 characters/);
    expect(() => readTenancyConfig()).not.toThrow(/too-short/);
  });

  test("refuses a stack without config, naming what to set", () => {
    pulumi.runtime.setAllConfig({});
    expect(() => readTenancyConfig()).toThrow(/tenancy:databaseServers: missing[\s\S]*tenancy:webhookSecret: missing/);
  });
});
