// A cell deployed under the real engine with application data in every tenant: where several engine
// tests start from. The services, the project copy and the stack are its own; dispose() ends them.
import { catalogFiles, type Catalog } from "./catalog";
import { startServices, type EngineServices } from "./services";
import { EngineProject, EngineStack } from "./stack";
import { fingerprint, tenantClient, writeApplicationData, type Isolation } from "./tenant-data";

export interface CellTenant {
  id: string;
  isolation: Isolation;
}

export interface DeployedCell {
  services: EngineServices;
  project: EngineProject;
  stack: EngineStack;
  /** Each tenant's database password, from the stack outputs. */
  passwords: Record<string, string>;
  /** Each tenant's rows of `tables` (count and md5), read as the tenant itself; `host` to reach the server by another name. */
  data(tables: readonly string[], host?: string): Promise<Record<string, unknown>>;
  dispose(): Promise<void>;
}

/**
 * Starts the services, deploys the catalog (made knowing the services: webhook URLs) as stack `cell`, and writes `projects`
 * projects (with invoices where the tenant's migration version has them) into each of `tenants`.
 */
export async function deployCell(
  cell: string,
  catalogOf: (services: EngineServices) => Catalog,
  tenants: readonly CellTenant[],
  data: { projects: number; version: number },
): Promise<DeployedCell> {
  const services = await startServices();
  let project: EngineProject | undefined;
  try {
    const catalog = catalogOf(services);
    await services.prepare(catalog.tenants.map((t) => t.id), cell, ["us-east-1"]);
    project = new EngineProject({ catalog: catalogFiles(catalog), env: services.env });
    const stack = await EngineStack.create(project, cell, services.config());
    await stack.up();
    const outputs = await stack.outputs();
    const passwords: Record<string, string> = {};
    for (const { id, isolation } of tenants) {
      passwords[id] = outputs.tenants[id].password;
      const client = await tenantClient(services, isolation, id, passwords[id]);
      await writeApplicationData(client, data.projects, data.version).finally(() => client.end());
    }
    const deployed = project;
    return {
      services,
      project: deployed,
      stack,
      passwords,
      async data(tables, host) {
        const out: Record<string, unknown> = {};
        for (const { id, isolation } of tenants) {
          const client = await tenantClient(services, isolation, id, passwords[id], host);
          out[id] = await fingerprint(client, tables).finally(() => client.end());
        }
        return out;
      },
      async dispose() {
        deployed.dispose();
        await services.stop();
      },
    };
  } catch (error) {
    project?.dispose();
    await services.stop();
    throw error;
  }
}
