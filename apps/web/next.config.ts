import type { NextConfig } from 'next';
import { STATIC_SECURITY_HEADERS } from './src/security-headers';

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  async headers() {
    return [{ source: '/:path*', headers: [...STATIC_SECURITY_HEADERS] }];
  },
};

export default config;
