import { type Algorithm, hash, verify } from '@node-rs/argon2';

// `Algorithm` is an ambient const enum, which isolated modules cannot read at run time; 2 is its Argon2id.
const ARGON2ID = 2 as Algorithm.Argon2id;

export interface PasswordParams {
  /** KiB of memory per hash: the cost that makes GPU/ASIC guessing expensive. */
  memoryCost: number;
  /** Passes over that memory. */
  timeCost: number;
  parallelism: number;
}

/**
 * argon2id with 64 MiB and 3 passes: RFC 9106's memory-constrained recommendation (with one lane, since this runs on
 * small CPU machines). Measured ~60 ms per hash or verify on the 2-core development machine, which bounds
 * online guessing and costs a stolen-hash attacker the same per guess. The parameters travel inside each hash, so
 * raising them later keeps old hashes verifiable.
 */
export const DEFAULT_PASSWORD_PARAMS: Readonly<PasswordParams> = { memoryCost: 65_536, timeCost: 3, parallelism: 1 };

/** Cheap parameters for tests only: the same algorithm and code path, ~1 ms per hash. */
export const LOW_COST_PASSWORD_PARAMS: Readonly<PasswordParams> = { memoryCost: 1_024, timeCost: 1, parallelism: 1 };

export function hashPassword(
  password: string,
  params: Readonly<PasswordParams> = DEFAULT_PASSWORD_PARAMS,
): Promise<string> {
  return hash(password, { algorithm: ARGON2ID, ...params });
}

/** True only for the right password; a malformed or foreign hash is a mismatch, not a crash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** `{ hash, verify }` bound to one parameter set, for services that take the hasher as a dependency. */
export function createPasswordHasher(params: Readonly<PasswordParams> = DEFAULT_PASSWORD_PARAMS): {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
} {
  return { hash: (password) => hashPassword(password, params), verify: verifyPassword };
}
