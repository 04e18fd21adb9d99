import { EventEmitter } from 'node:events';

/**
 * What the worklist and the viewer hear about a study: it arrived, its status changed (queued, processing, failed,
 * not eligible), or a result was stored. Events carry ids only; subscribers read the study through the services, so
 * authorization and audit stay where they are.
 */
export type StudyEventKind = 'ARRIVED' | 'STATUS' | 'RESULT';

export interface StudyEvent {
  kind: StudyEventKind;
  studyId: string;
  /** The study's status after the change (StudyStatus). */
  status: string;
  /** ISO time of the change. */
  at: string;
}

export interface StudyEvents {
  publish(event: StudyEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: StudyEvent) => void): () => void;
}

/** Delivery inside this process only: enough for one API process that also runs the ingest routes. */
export function createLocalStudyEvents(): StudyEvents {
  const emitter = new EventEmitter();
  // Every open subscription is a listener; the default warning at 10 would misfire on a busy worklist.
  emitter.setMaxListeners(0);
  return {
    publish: (event) => {
      emitter.emit('event', event);
    },
    subscribe: (listener) => {
      emitter.on('event', listener);
      return () => {
        emitter.off('event', listener);
      };
    },
  };
}
