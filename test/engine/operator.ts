// The operator's side of a cell for the engine tests of `npx tenancy <command>`: real services
// (embedded PostgreSQL, s3rver, AuthHero), a copy of this project whose stack holds the config with
// its secrets encrypted by the passphrase (read back through the real Pulumi CLI), and the real
// bin/tenancy.js to run in it. What `pulumi up` makes of a tenant is replayed through the providers
// (test/integration/operate/project.ts): the point of these tests is the commands.
import { spawn } from "node:child_process";
import { delimiter, dirname, join, resolve } from "node:path";
import { startAuthHero } from "../harness/authhero";
import { S3RVER_CREDENTIALS, startS3 } from "../harness/s3";
import { startServer } from "../integration/postgres/setup";
import { CELL, OpsProject, type Services } from "../integration/operate/project";
import { EngineProject, EngineStack } from "./stack";

const BIN = resolve(__dirname, "..", "..", "bin", "tenancy.js");

export interface OperatorCell {
  services: Services;
  engine: EngineProject;
  project: OpsProject;
  /**
   * `npx tenancy <args>` typed in `dir` of the project (its root by default), with the Pulumi CLI on
   * PATH and the S3 server's credentials. Spawned, never spawnSync: s3rver and AuthHero answer from
   * this very process, which must keep running meanwhile. Killed after two minutes.
   */
  tenancy(args: string[], dir?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
  dispose(): Promise<void>;
}

export async function startOperatorCell(): Promise<OperatorCell> {
  const [server, s3, ah] = await Promise.all([startServer(), startS3(), startAuthHero()]);
  const services = { server, s3, ah };
  const engine = new EngineProject({ catalog: {} });
  const project = new OpsProject(services, engine.dir);
  await project.prepare();
  await EngineStack.create(engine, CELL, project.raw);
  return {
    services,
    engine,
    project,
    tenancy(args, dir = ".") {
      const env = engine.commandEnv();
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: join(engine.dir, dir),
        env: { ...env, PATH: [dirname(engine.engine.pulumi), env.PATH].join(delimiter), AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => child.kill(), 120_000);
      return new Promise((done) =>
        child.on("close", (code) => {
          clearTimeout(timer);
          done({ code, stdout, stderr });
        }),
      );
    },
    async dispose() {
      engine.dispose();
      await Promise.all([server.stop(), s3.stop(), ah.stop()]);
    },
  };
}
