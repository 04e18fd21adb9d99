/**
 * Runs once when the Next.js server starts, before it serves requests: installs the rewrite of X-Forwarded-For from
 * the socket peer (src/server/client-address.ts), so even the first proxied request carries the address we saw.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { installClientAddressRewrite } = await import('./src/server/client-address');
    installClientAddressRewrite();
  }
}
