import type { Server } from 'node:http';
import type { TrustedProxies } from '@ich/config';
import { AppError, isAppError } from '@ich/errors';
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  parse,
  validate,
} from 'graphql';
import type { Disposable } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Caller } from '../auth/caller.js';
import { resolvePrincipal } from '../auth/resolve-principal.js';
import { presentedSecret } from '../auth/session-cookie.js';
import type { RequestContext } from '../context/request-context.js';
import { resolveUpgradeCaller } from '../context/resolve-caller.js';
import type { ServiceDeps } from '../services/deps.js';
import type { Services } from '../services/index.js';
import { formatError } from './format-error.js';
import { enforceQueryLimits, measureOperation, type QueryLimits } from './query-limits.js';

export interface SubscriptionOptions {
  schema: GraphQLSchema;
  deps: ServiceDeps;
  servicesFor(caller: Caller): Services;
  limits: QueryLimits;
  maxTokens: number;
  /** Browsers send Origin on a WebSocket handshake; only the web app's origin may open one with the user's cookie. */
  webOrigin: string;
  /** TRUSTED_PROXIES: whose X-Forwarded-For is believed for the audited address. */
  trustedProxies: TrustedProxies;
  /** SESSION_IDLE_MINUTES, as for HTTP requests. */
  sessionIdleMs: number;
  /** How often an open connection's session or token is checked again (logout, revocation, deactivation). */
  recheckMs?: number;
}

type Extra = {
  caller?: Caller;
  secret?: string | null;
};

/** Largest message a client may send (a subscription document with variables). */
const MAX_MESSAGE_BYTES = 100 * 1024;

/**
 * GraphQL subscriptions over graphql-ws on the API's /graphql path (the same path as POST /graphql; the upgrade
 * request goes here, everything else to Apollo). Authentication is the queries' own: a session cookie or Bearer
 * secret, checked at connection time (an anonymous connection is closed with 4403) and again every `recheckMs`
 * (a logged-out session or revoked token is closed with 4401). Authorization, audit and limits are the queries'
 * too: resolvers call the same services, and each operation is parsed with the token limit and measured against
 * the depth/cost limits before it runs.
 */
export function attachSubscriptions(server: Server, options: SubscriptionOptions): () => Promise<void> {
  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: MAX_MESSAGE_BYTES,
    verifyClient: ({ origin }: { origin?: string }) => !origin || origin === options.webOrigin,
  });
  const recheckMs = options.recheckMs ?? 60_000;
  const timers = new Set<NodeJS.Timeout>();

  const disposable: Disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: options.schema,
      async onConnect(ctx) {
        const params = ctx.connectionParams ?? {};
        const auth = typeof params['authorization'] === 'string' ? params['authorization'] : undefined;
        const caller = await resolveUpgradeCaller(
          options.deps,
          ctx.extra.request,
          auth,
          options.trustedProxies,
          options.sessionIdleMs,
        );
        if (caller.principal.kind === 'anonymous') return false;
        ctx.extra.caller = caller;
        ctx.extra.secret = presentedSecret({
          authorization: auth ?? ctx.extra.request.headers.authorization,
          cookie: ctx.extra.request.headers.cookie,
        });
        const socket = ctx.extra.socket;
        const timer = setInterval(() => {
          resolvePrincipal(options.deps, ctx.extra.secret ?? null, { sessionIdleMs: options.sessionIdleMs }).then(
            (principal) => {
              if (principal.kind === 'anonymous') socket.close(4401, 'Unauthorized');
              else if (ctx.extra.caller) ctx.extra.caller = { ...ctx.extra.caller, principal };
            },
            () => undefined,
          );
        }, recheckMs);
        timer.unref();
        timers.add(timer);
        socket.once('close', () => {
          clearInterval(timer);
          timers.delete(timer);
        });
        return true;
      },
      // graphql-js's subscribe() would resolve every event with the operation's one context, so its dataloaders
      // would serve the first event's rows forever. Each event is executed with fresh services instead.
      async subscribe(args) {
        const source = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
        const { caller } = args.contextValue as RequestContext;
        return mapEvents(source, (payload) =>
          execute({ ...args, rootValue: payload, contextValue: { caller, services: options.servicesFor(caller) } }),
        );
      },
      context(ctx): RequestContext {
        const caller = ctx.extra.caller;
        if (!caller) throw new AppError('UNAUTHENTICATED');
        return { caller, services: options.servicesFor(caller) };
      },
      onSubscribe(_ctx, _id, payload): ExecutionArgs | readonly GraphQLError[] {
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: options.maxTokens });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('The query could not be parsed.')];
        }
        const errors = validate(options.schema, document);
        if (errors.length > 0) return errors;
        const fragments: Record<string, FragmentDefinitionNode> = {};
        for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
        const operation = document.definitions.find(
          (d) =>
            d.kind === Kind.OPERATION_DEFINITION && (!payload.operationName || d.name?.value === payload.operationName),
        );
        if (operation?.kind === Kind.OPERATION_DEFINITION) {
          try {
            enforceQueryLimits(measureOperation(operation, fragments, payload.variables ?? {}), options.limits);
          } catch (error) {
            if (isAppError(error)) return [new GraphQLError(error.message, { extensions: { code: error.code } })];
            throw error;
          }
        }
        return {
          schema: options.schema,
          document,
          variableValues: payload.variables ?? null,
          operationName: payload.operationName ?? null,
        };
      },
      onNext(_ctx, _id, _payload, _args, result) {
        if (!result.errors) return;
        return { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) };
      },
      onError(_ctx, _id, _payload, errors) {
        return errors.map((e) => formatError(e.toJSON(), e));
      },
    },
    wss,
  );

  return async () => {
    for (const timer of timers) clearInterval(timer);
    for (const client of wss.clients) client.close(1001, 'Going away');
    await disposable.dispose();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}

/**
 * Maps a subscription's source events through `run`. Written out instead of as an async generator: a generator
 * waiting on the source could not be returned until the next event, leaving a closed client subscribed.
 */
function mapEvents<T>(
  source: AsyncIterable<unknown>,
  run: (payload: unknown) => T | Promise<T>,
): AsyncIterableIterator<T> {
  const it = source[Symbol.asyncIterator]();
  const stop = async (): Promise<IteratorResult<T>> => {
    await it.return?.();
    return { value: undefined, done: true };
  };
  return {
    async next() {
      const step = await it.next();
      if (step.done) return { value: undefined, done: true };
      return { value: await run(step.value), done: false };
    },
    return: stop,
    throw: async (error: unknown) => {
      await stop();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
