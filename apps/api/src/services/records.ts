/**
 * The database as services see it: the canonical Prisma client type from @ich/prisma (the SQLite client's types are
 * the subset valid on both databases) and the model rows that GraphQL types map onto.
 */
export type {
  PrismaClient as Db,
  User as UserRecord,
  ApiToken as ApiTokenRecord,
  Patient as PatientRecord,
  Study as StudyRecord,
  Series as SeriesRecord,
  StudyPrediction as StudyPredictionRecord,
  SlicePrediction as SlicePredictionRecord,
  ModelVersion as ModelVersionRecord,
  Review as ReviewRecord,
  AuditEvent as AuditEventRecord,
  InferenceJob as InferenceJobRecord,
  DatabaseProvider as DbProvider,
} from '@ich/prisma';
