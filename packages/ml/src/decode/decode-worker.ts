import { parentPort } from 'node:worker_threads';
import { isAppError } from '@ich/errors';
import { decodeCompressedFrame } from './codecs.js';
import type { DecodeRequest, DecodeResponse } from './protocol.js';

/** Worker-thread entry: decodes frames posted by the pool, one at a time. */
const port = parentPort;
if (port) {
  port.on('message', (request: DecodeRequest) => {
    void decodeCompressedFrame(request.codec, request.frame, request.spec).then(
      (values) => {
        const response: DecodeResponse = { id: request.id, ok: true, values };
        port.postMessage(response, [values.buffer as ArrayBuffer]);
      },
      (thrown: unknown) => {
        const response: DecodeResponse = isAppError(thrown)
          ? { id: request.id, ok: false, code: thrown.code, message: thrown.message }
          : {
              id: request.id,
              ok: false,
              code: 'DECODE_FAILED',
              message: thrown instanceof Error ? thrown.message : 'decoder failure',
            };
        port.postMessage(response);
      },
    );
  });
}
