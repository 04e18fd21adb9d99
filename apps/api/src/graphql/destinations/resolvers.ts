import type { Resolvers } from '../generated/resolvers.js';

const SEND_STATUS = { QUEUED: 'QUEUED', RUNNING: 'SENDING', DONE: 'SENT', FAILED: 'FAILED' } as const;

export const destinationResolvers: Resolvers = {
  Query: {
    destinations: (_parent, _args, { services }) => services.destinations.list(),
    destination: (_parent, { id }, { services }) => services.destinations.get(id),
    failedSends: (_parent, { first }, { services }) => services.destinations.failures(null, first),
  },
  Mutation: {
    createDestination: (_parent, { input }, { services }) => services.destinations.create(input),
    updateDestination: (_parent, { id, input }, { services }) => services.destinations.update(id, input),
    deleteDestination: (_parent, { id }, { services }) => services.destinations.delete(id),
    testDestination: (_parent, { id }, { services }) => services.destinations.test(id),
    sendStudyResults: (_parent, { studyId, destinationId }, { services }) =>
      services.destinations.sendStudyResults(studyId, destinationId),
  },
  Destination: {
    // Write-only: whether a secret is stored, never the secret (nor its ciphertext).
    hasSecret: (destination) => Boolean(destination.secretCipher),
    sendCounts: (destination, _args, { services }) => services.destinations.counts(destination.id),
    failures: (destination, { first }, { services }) => services.destinations.failures(destination.id, first),
  },
  StudySend: {
    destination: (send, _args, { services }) => services.destinations.destinationOf(send),
    status: (send) => SEND_STATUS[send.status],
    lastErrorCode: (send) => send.errorCode,
    lastError: (send) => send.error,
    nextAttemptAt: (send) => (send.status === 'QUEUED' ? send.runAfter : null),
  },
  Study: {
    sends: (study, _args, { services }) => services.destinations.sendsOfStudy(study.id),
  },
};
