import type { Principal } from './principal.js';

/** Who is calling and from where: what every service call needs to authorize and to audit. */
export interface Caller {
  principal: Principal;
  /** The client address (X-Forwarded-For only from a trusted loopback proxy); audited with every access. */
  ip: string | null;
  userAgent: string | null;
}
