import type { Caller } from '../auth/caller.js';
import type { Services } from '../services/index.js';

/** The GraphQL context: the caller and the services bound to it. Resolvers touch nothing else. */
export interface RequestContext {
  caller: Caller;
  services: Services;
}
