/**
 * The one default of each setting that more than one process reads: the API validates them with zod
 * (apps/api/src/config/env.ts), while the web server, its route handlers and `npm start` read them from the
 * environment before any of the API's code runs. Each reader takes its default from here, so they cannot drift.
 */
export const DEFAULTS = {
  API_HOST: '127.0.0.1',
  API_PORT: 4000,
  WEB_HOST: '127.0.0.1',
  WEB_PORT: 3000,
  WEB_ORIGIN: 'http://localhost:3000',
  /** Only this machine's own hops: the web server in front of the API, on the same host. */
  TRUSTED_PROXIES: '127.0.0.1,::1',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/** An environment value, with empty meaning unset (as in the API's config). */
function value(env: Env, name: string): string | undefined {
  const text = env[name]?.trim();
  return text ? text : undefined;
}

/** Where the API is reached from the web server and `npm start`: API_URL, else the API's own port on loopback. */
export function apiUrl(env: Env = process.env): string {
  const explicit = value(env, 'API_URL');
  return (explicit ?? `http://127.0.0.1:${value(env, 'API_PORT') ?? DEFAULTS.API_PORT}`).replace(/\/$/, '');
}

/** Where the web server listens. */
export function webListen(env: Env = process.env): { host: string; port: number } {
  return {
    host: value(env, 'WEB_HOST') ?? DEFAULTS.WEB_HOST,
    port: Number(value(env, 'WEB_PORT') ?? DEFAULTS.WEB_PORT),
  };
}

/** The proxies whose X-Forwarded-For the API and the web server believe (see trusted-proxies.ts). */
export function trustedProxiesSetting(env: Env = process.env): string {
  return value(env, 'TRUSTED_PROXIES') ?? DEFAULTS.TRUSTED_PROXIES;
}

/**
 * Node flags for the API process. A worklist page allocates a few MB; a larger young generation keeps those
 * short-lived objects out of the old generation under concurrent load (measured in apps/api/src/graphql/README.md,
 * "Performance"). `npm start`, the API's own start script and the API benches all start it with these.
 */
export const API_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
