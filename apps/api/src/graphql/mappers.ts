/**
 * What each GraphQL object type's resolvers receive as their parent: service records rather than GraphQL shapes, so
 * relations resolve lazily through the services (and their dataloaders). Referenced by codegen.ts `mappers`.
 */
import type { ChainRow } from '../audit/hash-chain.js';
import type { ApiTokenRecord, PatientRecord, StudyRecord } from '../db/records.js';
import type { StudyEvent } from '../events/study-events.js';
import type { VerificationView } from '../services/audit.js';
import type { LoginResult } from '../services/auth.js';
import type { Connection } from '../services/connection.js';
import type { JobFailure } from '../services/studies.js';

export type {
  ApiTokenRecord,
  DestinationRecord,
  ModelVersionRecord,
  PatientRecord,
  ReviewRecord,
  SendJobRecord,
  SeriesRecord,
  SlicePredictionRecord,
  StudyPredictionRecord,
  StudyRecord,
  UserRecord,
} from '../db/records.js';
export type {
  Alert as ModelAlertRecord,
  Proportion as ObservedProportionRecord,
  TargetCheck as TargetCheckRecord,
} from '../monitoring/accuracy.js';
export type { ModelPerformanceRecord } from '../services/monitoring.js';
export type {
  ChainRow as AuditEventRecord,
  JobFailure as JobFailureRecord,
  LoginResult as AuthPayloadRecord,
  StudyEvent as StudyEventRecord,
  VerificationView as AuditVerificationRecord,
};
export type StudyConnectionRecord = Connection<StudyRecord>;
export type PatientConnectionRecord = Connection<PatientRecord>;
export type AuditEventConnectionRecord = Connection<ChainRow>;
export interface CreatedApiTokenRecord {
  token: string;
  apiToken: ApiTokenRecord;
}
