import { parentPort } from 'node:worker_threads';
import { toAppError } from '@ich/errors';
import { type RenderTask, renderBatch } from './render-batch.js';

/** Worker side of BatchGenerator: decode + augment + window + resize one batch, transfer the tensor back. */
parentPort?.on('message', async (message: { id: number; task: RenderTask }) => {
  try {
    const x = await renderBatch(message.task);
    parentPort?.postMessage({ id: message.id, x }, [x.buffer as ArrayBuffer]);
  } catch (thrown) {
    const error = toAppError(thrown);
    parentPort?.postMessage({ id: message.id, error: { code: error.code, message: error.message } });
  }
});
