// TenantPrefix against a real S3 API (s3rver on 127.0.0.1): its delete empties exactly the tenant's
// key prefix in the shared bucket, across pages, converges on rerun, and keeps its credentials out
// of everything it prints and every error.
import { DeleteObjectsCommand, ListObjectsCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { naming } from "../../../lib/naming";
import { emptyPrefix, prefixProblems, versionsUnsupported } from "../../../providers/s3/empty-prefix";
import { prefixInputProblems, tenantPrefix, type TenantPrefixInputs } from "../../../providers/s3/prefix";
import { startFaultProxy } from "../../harness/fault-proxy";
import { usePrintedOutput } from "../../harness/printed";
import { startS3, type TestS3 } from "../../harness/s3";

const BUCKET = "tenancy-shared-eu-1-us-east-1";
// s3rver checks signatures against its account registry (in this process): a key pair whose secret
// is a canary proves the provider really signs with the secret input, and lets us look for leaks.
const CANARY = { accessKeyId: "TENANCYPREFIXKEY", secretAccessKey: "s3-secret-canary-4b9e1d7a20c3" };

let s3: TestS3;
const printed = usePrintedOutput();
beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  (require("s3rver/lib/models/account") as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } }).DUMMY_ACCOUNT.createKeyPair(
    CANARY.accessKeyId,
    CANARY.secretAccessKey,
  );
});
afterAll(async () => {
  await s3?.stop();
});

function inputsFor(id: string, onDelete: TenantPrefixInputs["onDelete"] = "delete", bucket = BUCKET): TenantPrefixInputs {
  return { tenantId: id, bucket, region: s3.region, prefix: naming.storagePrefix(id), onDelete, endpoint: s3.endpoint, forcePathStyle: true, credentials: CANARY };
}

async function put(keys: readonly string[]): Promise<void> {
  const queue = [...keys];
  const worker = async () => {
    for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** Paged by Marker: s3rver's ListObjectsV2 fails on any truncated page (see providers/s3/empty-prefix.ts). */
async function allKeys(prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  let marker: string | undefined;
  do {
    const page = await s3.client.send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix, Marker: marker }));
    const found = (page.Contents ?? []).map((o) => o.Key!);
    keys.push(...found);
    marker = page.IsTruncated ? found.at(-1) : undefined;
  } while (marker);
  return keys.sort();
}

/**
 * Keys a careless prefix match would reach: a tenant whose id extends ours, another tenant, and
 * look-alikes. (Not the bare key `tenants/<id>`: s3rver stores keys as files, so it cannot hold that
 * key and `tenants/<id>/...` at once.)
 */
function neighbours(id: string): string[] {
  return [`tenants/${id}x/keep.txt`, `tenants/${id}-2/keep.txt`, `tenants/${id}.txt`, `tenants/other-${id}/keep.txt`, `archive/tenants/${id}/keep.txt`, `${id}/keep.txt`];
}

function tenantKeys(id: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${naming.storagePrefix(id)}${i % 3 === 0 ? "deep/er/" : ""}object-${String(i).padStart(5, "0")}.bin`);
}

describe("the tenant's prefix", () => {
  it("must be exactly naming.storagePrefix(id)", () => {
    expect(prefixProblems("acme", "tenants/acme/")).toEqual([]);
    for (const bad of ["tenants/acme", "tenants/", "tenants/acm/", "tenants/acmex/", "", "tenants/acme/sub/", "/tenants/acme/"]) {
      expect(prefixProblems("acme", bad)).toEqual([`prefix ${JSON.stringify(bad)} must be exactly "tenants/acme/" (the key prefix of tenant acme, ending in "/"), or the deletion could reach other tenants' objects`]);
    }
    expect(prefixProblems("Not An Id", "tenants/Not An Id/")).toEqual(['tenantId "Not An Id" is not a tenant id']);
  });

  it("check names every bad input", async () => {
    const bad = { ...inputsFor("tp-check"), prefix: "tenants/", bucket: "X", region: "", onDelete: "archive", endpoint: "127.0.0.1:9" };
    const result = await tenantPrefix.check({}, bad as unknown as TenantPrefixInputs);
    expect(result.failures!.map((f) => f.property).sort()).toEqual(["bucket", "endpoint", "onDelete", "prefix", "region"]);
    expect(JSON.stringify(result.failures)).not.toContain(CANARY.secretAccessKey);
    expect((await tenantPrefix.check({}, inputsFor("tp-check"))).failures).toBeUndefined();
    expect(prefixInputProblems(inputsFor("tp-check"))).toEqual([]);
  });

  it("diff refuses another bucket or prefix as a storage move; another endpoint or key is an update", async () => {
    const olds = inputsFor("tp-diff");
    await expect(tenantPrefix.diff("tp-diff-prefix", olds, { ...olds, bucket: "tenancy-shared-eu-1-eu-west-1" })).rejects.toThrow(/bucket .* -> "tenancy-shared-eu-1-eu-west-1"; moving a tenant .* is a tenant move/);
    await expect(tenantPrefix.diff("tp-diff-prefix", olds, { ...olds, prefix: "tenants/other/" })).rejects.toThrow(/is a tenant move/);
    expect(await tenantPrefix.diff("tp-diff-prefix", olds, { ...olds, endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: "A", secretAccessKey: "B" } })).toEqual({ changes: true, replaces: [] });
    expect(await tenantPrefix.diff("tp-diff-prefix", olds, { ...olds })).toEqual({ changes: false, replaces: [] });
  });

  it("S3 servers without ListObjectVersions are recognised by their error", () => {
    expect(versionsUnsupported({ name: "MethodNotAllowed", $metadata: { httpStatusCode: 405 } })).toBe(true);
    expect(versionsUnsupported({ name: "NotImplemented", $metadata: { httpStatusCode: 501 } })).toBe(true);
    expect(versionsUnsupported({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(versionsUnsupported({ name: "NoSuchBucket", $metadata: { httpStatusCode: 404 } })).toBe(false);
  });
});

describe("TenantPrefix", () => {
  it("delete removes every object under the tenant's prefix over several pages, and nothing else", async () => {
    const id = "tp-main";
    const mine = tenantKeys(id, 1105);
    await put([...mine, ...neighbours(id)]);
    expect(await allKeys(naming.storagePrefix(id))).toHaveLength(1105);

    const created = await tenantPrefix.create(inputsFor(id));
    expect(created.id).toBe("tp-main-prefix");
    const { credentials, ...plain } = created.outs;
    expect(credentials).toEqual(CANARY);
    expect(plain).toEqual({ tenantId: id, bucket: BUCKET, region: s3.region, prefix: "tenants/tp-main/", onDelete: "delete", endpoint: s3.endpoint, forcePathStyle: true });
    expect(await allKeys(naming.storagePrefix(id))).toHaveLength(1105);
    // The objects are the application's, not the resource's: read reports the stored props.
    expect(await tenantPrefix.read(created.id, created.outs)).toEqual({ id: created.id, props: created.outs });

    expect(await tenantPrefix.delete(created.id, created.outs)).toBeUndefined();
    expect(printed.take()).not.toContain(CANARY.secretAccessKey);
    expect(await allKeys()).toEqual(neighbours(id).sort());
  });

  it("retain keeps every object", async () => {
    const id = "tp-keep";
    await put(tenantKeys(id, 20));
    const created = await tenantPrefix.create(inputsFor(id, "retain"));
    expect(await tenantPrefix.delete(created.id, created.outs)).toBeUndefined();
    expect(await allKeys(naming.storagePrefix(id))).toEqual(tenantKeys(id, 20).sort());
  });

  it("a rerun after a crash half-way converges; a rerun on an empty prefix succeeds", async () => {
    const id = "tp-crash";
    const mine = tenantKeys(id, 240);
    await put([...mine, ...neighbours(id)]);
    // The crashed run got through half of the keys.
    const half = mine.slice(0, 120);
    await s3.client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: half.map((Key) => ({ Key })) } }));
    expect(await allKeys(naming.storagePrefix(id))).toHaveLength(120);

    const store = { bucket: BUCKET, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true };
    // s3rver 3.7 answers ListObjectVersions with 405 MethodNotAllowed (it has no versioning), so the listing falls back to ListObjectsV2.
    expect(await emptyPrefix({ store, prefix: naming.storagePrefix(id), credentials: CANARY, batchSize: 50 })).toEqual({ deleted: 120, listing: "objects" });
    expect(await emptyPrefix({ store, prefix: naming.storagePrefix(id), credentials: CANARY, batchSize: 50 })).toEqual({ deleted: 0, listing: "objects" });
    expect(await tenantPrefix.delete("tp-crash-prefix", inputsFor(id))).toBeUndefined();
    expect(await allKeys(`tenants/${id}`)).toEqual([`tenants/${id}-2/keep.txt`, `tenants/${id}.txt`, `tenants/${id}x/keep.txt`]);
  });

  it("a delete that fails after its first batch is an error naming the cause; the rerun finishes the job", async () => {
    const id = "tp-fault";
    const mine = tenantKeys(id, 1050);
    await put([...mine, ...neighbours(id)]);
    // Every DeleteObjects after the first gets a 503 (the SDK retries, then gives up): the engine's delete fails half-way.
    const proxy = await startFaultProxy(s3.endpoint);
    try {
      let deletes = 0;
      proxy.setPlan((req) => (req.method === "POST" && /[?&]delete/.test(req.path) && ++deletes > 1 ? { kind: "status", status: 503 } : undefined));
      const outs = { ...inputsFor(id), endpoint: proxy.url };
      const failed = await tenantPrefix.delete("tp-fault-prefix", outs).catch((e: Error) => e);
      expect(failed).toBeInstanceOf(Error);
      const message = (failed as Error).message;
      expect(message).toMatch(/^objects of tenant tp-fault were not all deleted: emptying tenants\/tp-fault\/ in s3:\/\/\S+ at http:\/\/127\.0\.0\.1:\d+ failed: .*HTTP 503.*Fix the cause and rerun/s);
      expect(message + printed.take()).not.toContain(CANARY.secretAccessKey);
      expect(await allKeys(naming.storagePrefix(id))).toHaveLength(50);

      proxy.setPlan(() => undefined);
      expect(await tenantPrefix.delete("tp-fault-prefix", outs)).toBeUndefined();
      expect(await allKeys(naming.storagePrefix(id))).toEqual([]);
      expect(await allKeys(`tenants/${id}`)).toEqual([`tenants/${id}-2/keep.txt`, `tenants/${id}.txt`, `tenants/${id}x/keep.txt`]);
    } finally {
      await proxy.stop();
    }
  });

  it("a bucket that does not exist is a clear error on create and on delete", async () => {
    const id = "tp-nobucket";
    const missing = inputsFor(id, "delete", "no-such-shared-bucket");
    await expect(tenantPrefix.create(missing)).rejects.toThrow(
      /^shared bucket s3:\/\/no-such-shared-bucket at http:\/\/127\.0\.0\.1:\d+ is not usable \(the bucket does not exist; it is the cell's shared bucket/,
    );
    const error = (await tenantPrefix.delete("tp-nobucket-prefix", missing).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(
      /^objects of tenant tp-nobucket were not all deleted: emptying tenants\/tp-nobucket\/ in s3:\/\/no-such-shared-bucket .* failed \(the bucket does not exist\): NoSuchBucket.*set lifecycle.on_delete: retain for tenant tp-nobucket in one change/,
    );
    expect(error.message).not.toContain(CANARY.secretAccessKey);
  });

  it("delete refuses stored outputs whose prefix is not the tenant's, and touches nothing", async () => {
    const id = "tp-guard";
    await put([...tenantKeys(id, 5), ...neighbours(id)]);
    const before = await allKeys();
    for (const prefix of ["tenants/", `tenants/${id}`, ""]) {
      await expect(tenantPrefix.delete("tp-guard-prefix", { ...inputsFor(id), prefix })).rejects.toThrow(/TenantPrefix: invalid inputs: prefix .* must be exactly "tenants\/tp-guard\/"/);
    }
    expect(await allKeys()).toEqual(before);
  });
});
