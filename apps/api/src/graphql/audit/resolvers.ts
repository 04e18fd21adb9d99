import type { Resolvers } from '../generated/resolvers.js';

export const auditResolvers: Resolvers = {
  Query: {
    auditEvents: (_parent, args, { services }) => services.audit.events(args),
    verifyAuditLog: (_parent, _args, { services }) => services.audit.verify(),
  },
  AuditEventConnection: {
    totalCount: (connection) => connection.totalCount(),
  },
};
