/**
 * Provider-neutral entry: the canonical client type, model types, enums and the `Prisma` namespace.
 *
 * The two generated clients have the same models and methods; their types differ only where PostgreSQL can do
 * more (`mode: 'insensitive'` string filters, `skipDuplicates`, field references in list filters). The SQLite
 * client's types are therefore the common subset, and they are the canonical `PrismaClient`: code type-checked
 * against them is valid on both databases, and viewing the PostgreSQL client through them (a cast) only hides
 * extras. The runtime behind both is the same `@prisma/client/runtime/client`, so the `Prisma` namespace's error
 * classes (e.g. `Prisma.PrismaClientKnownRequestError`) match errors from either client.
 */

export { type DatabaseTarget, parseDatabaseUrl, providerOf } from './database-url.js';
export type {
  ApiToken,
  AuditEvent,
  Destination,
  InferenceJob,
  Instance,
  LoginAttempt,
  ModelVersion,
  Patient,
  PrismaClient,
  ResultObject,
  Review,
  SendJob,
  Series,
  Session,
  SlicePrediction,
  Study,
  StudyPrediction,
  User,
} from './generated/sqlite/client.js';
export { Prisma } from './generated/sqlite/client.js';
export * from './generated/sqlite/enums.js';
export { DATABASE_PROVIDERS, type DatabaseProvider, isDatabaseProvider } from './providers.js';
