// TenantPassword: the generated password of a tenant's database role. There is no object of its
// own on any server (the password lives in the Role resource that uses it), so read reports the
// stored props and delete does nothing.
//
// It replaces random.RandomPassword, whose provider plugin cannot be installed where the engine
// tests run. Letters and digits only: the password goes into connection URLs unescaped.
import { randomBytes, randomUUID } from "node:crypto";
import { defineProvider } from "../kit";

export interface TenantPasswordInputs {
  length: number;
  /** Raise it to get a new password (a harmless replacement: the role's password is updated in place). */
  rotation?: number;
}

export interface TenantPasswordOutputs extends TenantPasswordInputs {
  /** Secret (the resource lists it in additionalSecretOutputs). */
  password: string;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** The largest multiple of the alphabet's size below 256: bytes from it up are drawn again, so every character is equally likely. */
const UNBIASED = 256 - (256 % ALPHABET.length);

export function generatePassword(length: number): string {
  let password = "";
  while (password.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < UNBIASED && password.length < length) password += ALPHABET[byte % ALPHABET.length];
    }
  }
  return password;
}

export function passwordProblems(inputs: Partial<TenantPasswordInputs>): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  if (!Number.isInteger(inputs.length) || (inputs.length as number) < 16 || (inputs.length as number) > 128) {
    failures.push({ property: "length", reason: `length must be a whole number from 16 to 128, got ${JSON.stringify(inputs.length)}` });
  }
  if (inputs.rotation !== undefined && (!Number.isInteger(inputs.rotation) || inputs.rotation < 0)) {
    failures.push({ property: "rotation", reason: `rotation must be a whole number >= 0, got ${JSON.stringify(inputs.rotation)}` });
  }
  return failures;
}

export const tenantPassword = defineProvider<TenantPasswordInputs, TenantPasswordOutputs>({
  kind: "TenantPassword",
  // A new length or rotation needs a new password: a replacement, which destroys nothing.
  keys: { replace: ["length", "rotation"], update: [] },
  check: passwordProblems,
  create: async (inputs) => ({ id: randomUUID(), outs: { ...inputs, password: generatePassword(inputs.length) } }),
  read: async (id, props) => ({ id, props }),
  // Reached only when nothing but the stored loader changed: the password stays.
  update: async (_id, olds, news) => ({ outs: { ...news, password: olds.password } }),
  delete: async () => undefined,
});
