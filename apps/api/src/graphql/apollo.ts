import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { type FragmentDefinitionNode, type GraphQLSchema, Kind } from 'graphql';
import type { RequestContext } from '../context/request-context.js';
import { formatError } from './format-error.js';
import { jitGateway } from './jit-executor.js';
import { enforceQueryLimits, measureOperation, type QueryLimits } from './query-limits.js';
import { buildSchema } from './schema.js';

export interface ApolloOptions {
  /** Introspection and the landing page: on in development, off in production (config.introspection). */
  introspection: boolean;
  limits: QueryLimits;
  /** graphql-js stops parsing past this many tokens, before any validation work. */
  maxTokens: number;
  /** The executable schema (shared with the subscription server); built here when absent. */
  schema?: GraphQLSchema;
  /** Execute queries with graphql-jit (WORKLIST_FAST_PATH); otherwise graphql-js executes everything. */
  compiledQueries?: boolean;
}

const DENIED = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/** Every refused field (UNAUTHENTICATED, FORBIDDEN) goes to the audit log; a failed login records itself. */
function auditDeniedPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            // Codes are attached to the response by formatError later; here they are still on the thrown AppError.
            const code = (error.originalError as { code?: unknown } | undefined)?.code ?? error.extensions?.['code'];
            const path = (error.path ?? []).join('.');
            if (typeof code !== 'string' || !DENIED.has(code) || path === 'login') continue;
            await contextValue.services.audit.recordDenied(code, path, error.message);
          }
        },
      };
    },
  };
}

function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (!operation) return;
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          enforceQueryLimits(measureOperation(operation, fragments, request.variables ?? {}), limits);
        },
      };
    },
  };
}

export function createApolloServer(options: ApolloOptions): ApolloServer<RequestContext> {
  const schema = options.schema ?? buildSchema();
  return new ApolloServer<RequestContext>({
    ...(options.compiledQueries ? { gateway: jitGateway(schema) } : { schema }),
    introspection: options.introspection,
    // Requires a non-simple Content-Type or an Apollo preflight header, so a cross-site form or <img> cannot run an
    // operation with the user's cookie (together with SameSite=Lax on the cookie).
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: !options.introspection,
    parseOptions: { maxTokens: options.maxTokens },
    formatError,
    plugins: [
      queryLimitsPlugin(options.limits),
      auditDeniedPlugin(),
      // Responses are never cacheable (patient data, per-user authorization); the default cache-control plugin would
      // only add a hook to every resolved field.
      ApolloServerPluginCacheControlDisabled(),
      options.introspection
        ? ApolloServerPluginLandingPageLocalDefault({ embed: false, footer: false })
        : ApolloServerPluginLandingPageDisabled(),
      ...(options.introspection ? [] : [ApolloServerPluginDisableSuggestions()]),
    ],
  });
}
