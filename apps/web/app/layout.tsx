import type { Metadata, Viewport } from 'next';
import { headers } from 'next/headers';
import type { ReactNode } from 'react';
import { GraphQLProvider } from '@/graphql/provider';
import './globals.css';

export const metadata: Metadata = {
  title: 'ICH triage',
  description: 'Intracranial hemorrhage triage for head CT',
};

export const viewport: Viewport = { colorScheme: 'dark', themeColor: '#0f1216' };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Reading the request makes every page render per request, which the CSP nonce (proxy.ts) needs.
  await headers();
  return (
    <html lang="en">
      <body>
        <GraphQLProvider>{children}</GraphQLProvider>
      </body>
    </html>
  );
}
