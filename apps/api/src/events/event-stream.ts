import type { StudyEvent, StudyEvents } from './study-events.js';

/** Events buffered per subscriber before the oldest are dropped: a stalled client must not grow the heap. */
const MAX_BUFFERED = 256;

/**
 * The events matching `accept`, as an async iterator for a GraphQL subscription. Unsubscribes when the client
 * stops (graphql-ws calls return()).
 */
export function streamEvents(
  events: StudyEvents,
  accept: (event: StudyEvent) => boolean,
): AsyncIterableIterator<StudyEvent> {
  const buffer: StudyEvent[] = [];
  let wake: ((result: IteratorResult<StudyEvent>) => void) | null = null;
  let done = false;
  const unsubscribe = events.subscribe((event) => {
    if (done || !accept(event)) return;
    if (wake) {
      const w = wake;
      wake = null;
      w({ value: event, done: false });
      return;
    }
    buffer.push(event);
    if (buffer.length > MAX_BUFFERED) buffer.shift();
  });
  const finish = (): Promise<IteratorResult<StudyEvent>> => {
    done = true;
    unsubscribe();
    buffer.length = 0;
    if (wake) {
      const w = wake;
      wake = null;
      w({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  };
  return {
    next() {
      if (done) return Promise.resolve({ value: undefined, done: true });
      const queued = buffer.shift();
      if (queued) return Promise.resolve({ value: queued, done: false });
      return new Promise((resolve) => {
        wake = resolve;
      });
    },
    return: finish,
    throw: (error: unknown) => finish().then(() => Promise.reject(error)),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
