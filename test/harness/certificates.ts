// Certificates made at test time with the openssl CLI: a private CA, and server certificates it
// signs for 127.0.0.1. For TLS-enabled test servers (PostgreSQL with verify-full) and impostors.
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CertificateAuthority {
  /** PEM of the CA certificate: what a client trusts. */
  cert: string;
  /** A key and a certificate for 127.0.0.1 signed by this CA. */
  issue(commonName?: string): { key: string; cert: string };
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

export function certificateAuthority(name = "tenancy test CA"): CertificateAuthority {
  const dir = mkdtempSync(join(tmpdir(), "tenancy-ca-"));
  try {
    openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
      "-days", "1", "-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
    const caKey = readFileSync(join(dir, "ca.key"), "utf8");
    const caCert = readFileSync(join(dir, "ca.crt"), "utf8");
    return {
      cert: caCert,
      issue(commonName = "127.0.0.1") {
        const work = mkdtempSync(join(tmpdir(), "tenancy-cert-"));
        try {
          writeFileSync(join(work, "ca.key"), caKey, { mode: 0o600 });
          writeFileSync(join(work, "ca.crt"), caCert);
          writeFileSync(join(work, "ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
          openssl(work, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${commonName}`]);
          openssl(work, ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "ext.cnf"]);
          return { key: readFileSync(join(work, "server.key"), "utf8"), cert: readFileSync(join(work, "server.crt"), "utf8") };
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A server key and certificate written where a PostgreSQL server can read them (owned by the
 * `postgres` user when the tests run as root, which is who the server then runs as). Returns the
 * server settings that turn TLS on, and a cleanup.
 */
export function postgresTlsSettings(ca: CertificateAuthority): { settings: Record<string, string>; remove(): void } {
  const { key, cert } = ca.issue();
  const dir = mkdtempSync(join(tmpdir(), "tenancy-pg-tls-"));
  const keyFile = join(dir, "server.key");
  const certFile = join(dir, "server.crt");
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert);
  if (process.getuid?.() === 0) {
    const ids = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    for (const path of [dir, keyFile, certFile]) chownSync(path, ids("-u"), ids("-g"));
    chmodSync(dir, 0o700);
  }
  return { settings: { ssl: "on", ssl_cert_file: certFile, ssl_key_file: keyFile }, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
