'use client';

import type { ApolloClient } from '@apollo/client';
import { ApolloProvider } from '@apollo/client/react';
import { type ReactNode, useEffect, useState } from 'react';
import { createApolloClient } from './client';

/**
 * The client needs the browser's location (for the WebSocket URL), so it is made after mount; the server renders
 * the page frame only, and every page's data comes from the browser with the user's session.
 */
export function GraphQLProvider({ children }: { children: ReactNode }) {
  const [client, setClient] = useState<ApolloClient | null>(null);
  useEffect(() => setClient(createApolloClient()), []);
  if (!client)
    return (
      <main aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  return <ApolloProvider client={client}>{children}</ApolloProvider>;
}
