import type { NextConfig } from 'next';

/**
 * The browser talks only to this origin: /graphql and /api/* are proxied to the API, so the session cookie is
 * first-party (SameSite=Lax/Strict works) and no CORS is needed in the default single-machine setup.
 */
const apiUrl = (process.env.API_URL ?? `http://127.0.0.1:${process.env.API_PORT ?? '4000'}`).replace(/\/$/, '');

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  async rewrites() {
    return [
      { source: '/graphql', destination: `${apiUrl}/graphql` },
      { source: '/api/:path*', destination: `${apiUrl}/api/:path*` },
      { source: '/dicom-web/:path*', destination: `${apiUrl}/dicom-web/:path*` },
    ];
  },
};

export default config;
