// The operator's commands read a stack's config through the real Pulumi CLI, secrets decrypted by
// the stack's passphrase provider, and validate it as the program does.
import { afterAll, beforeAll, expect, it } from "vitest";
import { readStackConfig } from "../../lib/operate/stack-config";
import { catalogFiles, defaults } from "./catalog";
import { CANARY } from "./services";
import { EngineProject, EngineStack } from "./stack";

let project: EngineProject;
let stack: EngineStack;

const config = {
  plain: {
    databaseServers: { main: { host: "127.0.0.1", port: 6543, adminUser: "postgres", sslmode: "disable" } },
    bucketPrefix: "tnc-cfg",
    cloudflareZoneId: "0123456789abcdef0123456789abcdef",
    baseDomain: "saas.example.com",
    ingressTarget: "ingress.saas.example.com",
    maintenanceTarget: "maintenance.saas.example.com",
    backupBucket: "tnc-cfg-backups",
    backupRegion: "us-east-1",
    controlPlane: { url: "http://127.0.0.1:1", clientId: "c", tenantId: "control-plane" },
  },
  secrets: { "databasePasswords.main": `${CANARY}-db`, controlPlaneClientSecret: `${CANARY}-cp`, webhookSecret: `${CANARY}-webhook` },
};

beforeAll(async () => {
  project = new EngineProject({ catalog: catalogFiles({ defaults: defaults("cfg", { canary: 3, stable: 3 }), tenants: [] }) });
  stack = await EngineStack.create(project, "cfg", config);
}, 120_000);

afterAll(() => project?.dispose());

it("reads the stack's config with its secrets, validated, the cell being the stack's name", () => {
  const read = readStackConfig("cfg", { cwd: project.dir, pulumi: project.engine.pulumi, env: project.commandEnv() });
  expect(read.cell).toBe("cfg");
  expect(read.databaseServers.main).toEqual({ name: "main", host: "127.0.0.1", port: 6543, adminUser: "postgres", sslmode: "disable", password: `${CANARY}-db` });
  expect(read.controlPlaneClientSecret).toBe(`${CANARY}-cp`);
  expect(read.webhookSecret).toBe(`${CANARY}-webhook`);
  expect(read.backupBucket).toBe("tnc-cfg-backups");
});

it("names what is wrong: a missing stack, or config the program would refuse, without printing a secret", () => {
  expect(() => readStackConfig("nope", { cwd: project.dir, pulumi: project.engine.pulumi, env: project.commandEnv() })).toThrow(/cannot read the config of stack nope: .*nope/);
  stack.setConfig((c) => (c.cell = "elsewhere"));
  let message = "";
  try {
    readStackConfig("cfg", { cwd: project.dir, pulumi: project.engine.pulumi, env: project.commandEnv() });
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toContain('tenancy:cell: "elsewhere" is not this stack\'s name "cfg"');
  expect(message).not.toContain(CANARY);
});
