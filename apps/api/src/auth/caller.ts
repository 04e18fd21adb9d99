import type { Principal } from './principal.js';

/** Who is calling and from where: what every service call needs to authorize and to audit. */
export interface Caller {
  principal: Principal;
  /** The client's IP address (X-Forwarded-For believed only from TRUSTED_PROXIES); audited with every access. */
  ip: string | null;
  userAgent: string | null;
}
