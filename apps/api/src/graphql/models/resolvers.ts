import type { Resolvers } from '../generated/resolvers.js';

export const modelResolvers: Resolvers = {
  Query: {
    modelVersions: (_parent, _args, { services }) => services.models.list(),
    activeModel: (_parent, _args, { services }) => services.models.active(),
  },
  Mutation: {
    activateModel: (_parent, { id }, { services }) => services.models.activate(id),
  },
};
