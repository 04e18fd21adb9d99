import type { Resolvers } from '../generated/resolvers.js';

export const authResolvers: Resolvers = {
  Query: {
    me: (_parent, _args, { services }) => services.auth.me(),
  },
  Mutation: {
    login: (_parent, { email, password }, { services }) => services.auth.login(email, password),
    logout: (_parent, _args, { services }) => services.auth.logout(),
    changePassword: (_parent, args, { services }) => services.auth.changePassword(args.current, args.new),
  },
  User: {
    passwordChangeRequired: (user, _args, { services }) => services.auth.passwordChangeRequired(user),
  },
};
