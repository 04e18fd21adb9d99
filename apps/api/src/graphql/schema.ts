import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { adminResolvers } from './admin/resolvers.js';
import { auditResolvers } from './audit/resolvers.js';
import { authResolvers } from './auth/resolvers.js';
import { baseResolvers } from './base/resolvers.js';
import { destinationResolvers } from './destinations/resolvers.js';
import { modelResolvers } from './models/resolvers.js';
import { monitoringResolvers } from './monitoring/resolvers.js';
import { reviewResolvers } from './reviews/resolvers.js';
import { studyResolvers } from './studies/resolvers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every `<domain>/schema.graphql` next to this module (the build copies them into dist). */
export function loadTypeDefs(dir: string = here): string[] {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join(dir, d.name, 'schema.graphql'))
    .filter((file) => existsSync(file))
    .sort();
  if (files.length === 0) throw new Error(`No GraphQL SDL files under ${dir}`);
  return files.map((file) => readFileSync(file, 'utf8'));
}

export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: [
      baseResolvers,
      authResolvers,
      studyResolvers,
      reviewResolvers,
      modelResolvers,
      monitoringResolvers,
      adminResolvers,
      auditResolvers,
      destinationResolvers,
    ],
    inheritResolversFromInterfaces: false,
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
