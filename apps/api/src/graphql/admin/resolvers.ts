import { parseScopes } from '../../auth/scopes.js';
import type { Resolvers } from '../generated/resolvers.js';

export const adminResolvers: Resolvers = {
  Query: {
    users: (_parent, _args, { services }) => services.users.list(),
    apiTokens: (_parent, { userId }, { services }) => services.tokens.list(userId),
  },
  Mutation: {
    createUser: (_parent, { input }, { services }) => services.users.create(input),
    updateUser: (_parent, { id, input }, { services }) => services.users.update(id, input),
    resetPassword: (_parent, { id, password }, { services }) => services.users.resetPassword(id, password),
    revokeAllCredentials: (_parent, { userId }, { services }) => services.users.revokeAllCredentials(userId),
    createApiToken: (_parent, { input }, { services }) => services.tokens.create(input),
    revokeApiToken: (_parent, { id }, { services }) => services.tokens.revoke(id),
  },
  ApiToken: {
    scopes: (token) => [...parseScopes(token.scopes)],
    owner: (token, _args, { services }) => services.tokens.ownerOf(token),
  },
};
