import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import {
  type DocumentNode,
  execute,
  GraphQLError,
  type GraphQLSchema,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  printSchema,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { RequestContext } from '../context/request-context.js';

type Gateway = ApolloServerOptionsWithGateway<RequestContext>['gateway'];

/** Distinct (document, operation) pairs kept compiled; the web app sends a few dozen, so this is never reached. */
const MAX_COMPILED = 500;

/** Introspection stays on graphql-js: it is rare, and its resolvers are graphql-js's own. */
function introspects(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'));
}

/**
 * graphql-jit's errors inherit from GraphQLError but leave `extensions` undefined when the thrown error has none,
 * which Apollo's error normalisation does not expect (it reads `extensions.code`): rebuilt as graphql-js builds them,
 * keeping message, locations, path and the original error (an AppError's code comes from there).
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions ?? {},
  });
  (rebuilt as { locations: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}

/**
 * Queries executed by graphql-jit: each operation is compiled once (keyed by Apollo's query hash and operation name)
 * into JavaScript that walks the selection set with no per-field interpretation of the document (argument
 * coercion, type lookups, promise bookkeeping per field); the schema's resolvers, so every field's authorization,
 * and its scalars still run. Mutations and introspection run on graphql-js unchanged.
 *
 * Apollo Server 5 takes a custom executor only through its gateway interface: this "gateway" serves the one local
 * schema (the SDL in src/graphql stays the source of truth) and never changes it. Parsing, validation, query limits,
 * error formatting and the denied-access audit plugin are Apollo's, as without it.
 */
export function jitGateway(schema: GraphQLSchema): Gateway {
  const compiled = new Map<string, CompiledQuery>();
  const compile = (key: string, document: DocumentNode, operationName: string | null) => {
    const existing = compiled.get(key);
    if (existing) return existing;
    const result = compileQuery(schema, document, operationName ?? undefined);
    if (!isCompiledQuery(result)) return result;
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(key, result);
    return result;
  };
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async load() {
      return {
        async executor(requestContext) {
          const { document, operation, operationName, request, queryHash } = requestContext;
          const context = requestContext.context as RequestContext;
          const variables = request.variables ?? {};
          if (operation.operation !== 'query' || introspects(operation)) {
            return execute({ schema, document, contextValue: context, variableValues: variables, operationName });
          }
          // Variables are checked by graphql-js first: its errors (and their nodes) are what Apollo recognises as
          // BAD_USER_INPUT, so a bad variable gets the same answer on either executor.
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
          if (coerced.errors) return { errors: coerced.errors };
          const query = compile(`${queryHash}:${operationName ?? ''}`, document, operationName);
          if (!isCompiledQuery(query)) return query;
          const result = await query.query(undefined, context, variables);
          return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
        },
      };
    },
    async stop() {
      compiled.clear();
    },
  };
}
