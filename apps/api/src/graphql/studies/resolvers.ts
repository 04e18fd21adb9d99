import type { RequestContext } from '../../context/request-context.js';
import type { StudyEvent } from '../../events/study-events.js';
import { parseLabels } from '../../services/labels.js';
import type { Resolvers } from '../generated/resolvers.js';

export const studyResolvers: Resolvers = {
  Query: {
    studies: (_parent, args, { services }) => services.studies.list(args),
    study: (_parent, { id }, { services }) => services.studies.get(id),
    patients: (_parent, args, { services }) => services.patients.list(args),
    patient: (_parent, { id }, { services }) => services.patients.get(id),
  },
  Mutation: {
    reprocessStudy: (_parent, { id }, { services }) => services.studies.reprocess(id),
  },
  Subscription: {
    studyUpdated: {
      subscribe: (_parent, { id }, { services }) => services.studies.watchStudy(id),
      resolve: (event: StudyEvent, _args: unknown, { services }: RequestContext) => services.studies.eventStudy(event),
    },
    worklistUpdated: {
      subscribe: (_parent, _args, { services }) => services.studies.watchWorklist(),
      resolve: (event: StudyEvent) => event,
    },
  },
  StudyEvent: {
    study: (event, _args, { services }) => services.studies.eventStudy(event),
  },
  StudyConnection: {
    totalCount: (connection) => connection.totalCount(),
  },
  PatientConnection: {
    totalCount: (connection) => connection.totalCount(),
  },
  Study: {
    accessionNumber: (study, _args, { services }) => services.studies.readable(study).accessionNumber,
    studyDate: (study, _args, { services }) => services.studies.readable(study).studyDate,
    description: (study, _args, { services }) => services.studies.readable(study).description,
    triage: (study, _args, { services }) => services.studies.readable(study).triage,
    priority: (study, _args, { services }) => services.studies.readable(study).priority,
    anyScore: (study, _args, { services }) => services.studies.readable(study).anyScore,
    positiveLabels: (study, _args, { services }) => parseLabels(services.studies.readable(study).positiveLabels),
    patient: (study, _args, { services }) => services.studies.patientOf(study),
    series: (study, _args, { services }) => services.studies.seriesOf(study),
    prediction: (study, _args, { services }) => services.studies.predictionOf(study),
    failure: (study, _args, { services }) => services.studies.failureOf(study),
    reviews: (study, _args, { services }) => services.studies.reviewsOf(study),
  },
  Series: {
    instanceCount: (series, _args, { services }) => services.studies.instanceCountOf(series),
    instances: (series, _args, { services }) => services.studies.instancesOf(series),
  },
  StudyPrediction: {
    slices: (prediction, _args, { services }) => services.studies.slicesOf(prediction),
    modelVersion: (prediction, _args, { services }) => services.studies.modelVersionOf(prediction),
  },
  Patient: {
    studies: (patient, _args, { services }) => services.patients.studiesOf(patient),
  },
};
