import type { TargetMetric as Metric } from '../../monitoring/accuracy.js';
import type { Resolvers, TargetMetric } from '../generated/resolvers.js';

const metricName = (metric: Metric): TargetMetric => (metric === 'sensitivity' ? 'SENSITIVITY' : 'SPECIFICITY');

export const monitoringResolvers: Resolvers = {
  Query: {
    modelPerformance: (_parent, { modelVersionId, from, to }, { services }) =>
      services.monitoring.performance(modelVersionId, from, to),
  },
  ObservedProportion: {
    lower: (p) => p.interval?.lower ?? null,
    upper: (p) => p.interval?.upper ?? null,
  },
  TargetCheck: { metric: (c) => metricName(c.metric) },
  ModelAlert: { metric: (a) => metricName(a.metric) },
};
