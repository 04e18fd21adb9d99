/**
 * The database as services see it: the canonical Prisma client type from @ich/prisma (the SQLite client's types are
 * the subset valid on both databases) and the model rows that GraphQL types map onto.
 */
export type {
  ApiToken as ApiTokenRecord,
  DatabaseProvider as DbProvider,
  Destination as DestinationRecord,
  InferenceJob as InferenceJobRecord,
  ModelVersion as ModelVersionRecord,
  Patient as PatientRecord,
  PrismaClient as Db,
  ResultObject as ResultObjectRecord,
  Review as ReviewRecord,
  SendJob as SendJobRecord,
  Series as SeriesRecord,
  SlicePrediction as SlicePredictionRecord,
  Study as StudyRecord,
  StudyPrediction as StudyPredictionRecord,
  User as UserRecord,
} from '@ich/prisma';
