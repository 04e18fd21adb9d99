import { describe, expect, it } from 'vitest';
import { streamEvents } from './event-stream.js';
import { createLocalStudyEvents, type StudyEvent } from './study-events.js';

const ev = (studyId: string): StudyEvent => ({ kind: 'STATUS', studyId, status: 'QUEUED', at: '' });

describe('streamEvents', () => {
  it('yields matching events in order, buffered or awaited', async () => {
    const events = createLocalStudyEvents();
    const stream = streamEvents(events, (e) => e.studyId !== 'skip');
    events.publish(ev('a'));
    events.publish(ev('skip'));
    const pending = stream.next();
    expect((await pending).value).toEqual(ev('a'));
    const waiting = stream.next();
    events.publish(ev('b'));
    expect((await waiting).value).toEqual(ev('b'));
  });

  it('keeps only the latest 256 events for a subscriber that falls behind', async () => {
    const events = createLocalStudyEvents();
    const stream = streamEvents(events, () => true);
    for (let i = 0; i < 300; i += 1) events.publish(ev(String(i)));
    expect((await stream.next()).value?.studyId).toBe('44');
  });

  it('unsubscribes on return(), ending a pending next()', async () => {
    const events = createLocalStudyEvents();
    let listeners = 0;
    const counting = {
      publish: events.publish,
      subscribe: (l: (e: StudyEvent) => void) => {
        listeners += 1;
        const off = events.subscribe(l);
        return () => {
          listeners -= 1;
          off();
        };
      },
    };
    const stream = streamEvents(counting, () => true);
    const pending = stream.next();
    await stream.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(listeners).toBe(0);
  });
});
