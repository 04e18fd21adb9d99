import { parentPort, workerData } from 'node:worker_threads';
import { ContentStore } from '../storage/content-store.js';
import { intakeSync } from './intake.js';
import {
  errorToWire,
  type IntakeRequest,
  type IntakeResponse,
  type IntakeWorkerData,
  toWire,
} from './intake-protocol.js';

/**
 * An intake thread (see intake-pool.ts): takes in each file it is sent with `intakeSync`, against the STORAGE_DIR of
 * the process that started it, and answers with the outcome or the error's code and message, handing the file's
 * buffer back.
 */
const { storageDir } = workerData as IntakeWorkerData;
const store = new ContentStore(storageDir);
const port = parentPort;
if (!port) throw new Error('intake-worker runs as a worker thread');

port.on('message', ({ id, buffer, length }: IntakeRequest) => {
  let response: IntakeResponse;
  try {
    const { parsed, ...stored } = intakeSync(store, new Uint8Array(buffer, 0, length));
    response = { id, buffer, ok: true, ...stored, parsed: toWire(parsed) };
  } catch (error) {
    response = errorToWire(id, buffer, error);
  }
  port.postMessage(response, [buffer]);
});
