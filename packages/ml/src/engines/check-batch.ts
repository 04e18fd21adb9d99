import { AppError } from '@ich/errors';
import type { Engine } from './engine.js';

/** Rejects a batch whose length does not match n images of the engine's input shape, naming both sizes. */
export function checkBatch(
  engine: Pick<Engine, 'name' | 'inputSize' | 'channels'>,
  batch: Float32Array,
  n: number,
): void {
  const per = engine.inputSize * engine.inputSize * engine.channels;
  if (!Number.isInteger(n) || n < 1)
    throw new AppError('BAD_USER_INPUT', `${engine.name}: batch size must be a positive integer, got ${n}`);
  if (batch.length !== n * per)
    throw new AppError(
      'BAD_USER_INPUT',
      `${engine.name}: batch has ${batch.length} values, expected ${n} × ${engine.inputSize}×${engine.inputSize}×${engine.channels} = ${n * per}`,
    );
}
