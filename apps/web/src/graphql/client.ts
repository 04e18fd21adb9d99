'use client';

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { Kind, OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import { loginHref } from '@/session/return-to';

/**
 * The one GraphQL client. Queries and mutations go over HTTP and subscriptions over graphql-ws, both to /graphql on
 * the web origin (the web server forwards them to the API), so the httpOnly session cookie travels with each.
 * When the API says UNAUTHENTICATED (the session expired or was revoked), the browser goes to /login and comes back
 * to the same page afterwards.
 */
export function createApolloClient(): ApolloClient {
  const http = new HttpLink({ uri: '/graphql', credentials: 'same-origin' });
  const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/graphql`;
  const ws = new GraphQLWsLink(createClient({ url: wsUrl, lazy: true, retryAttempts: Number.POSITIVE_INFINITY }));
  const transport = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.SUBSCRIPTION;
    },
    ws,
    http,
  );
  const sessionEnded = new ErrorLink(({ error, operation }) => {
    if (operation.operationName === 'Login' || operation.operationName === 'ChangePassword') return;
    if (CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.['code'] === 'UNAUTHENTICATED')) {
      if (!window.location.pathname.startsWith('/login')) window.location.assign(loginHref(window.location));
    }
  });
  return new ApolloClient({
    link: ApolloLink.from([sessionEnded, transport]),
    cache: new InMemoryCache({
      typePolicies: {
        // Audit events are immutable; each is cached under its id.
        AuditEvent: { keyFields: ['id'] },
      },
    }),
    defaultOptions: { watchQuery: { fetchPolicy: 'cache-and-network' } },
  });
}
