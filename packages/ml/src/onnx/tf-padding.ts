/**
 * TensorFlow's padding arithmetic for one spatial axis. SAME pads so that out = ceil(in / stride) and puts the odd
 * pixel at the end (bottom/right); ONNX needs it spelled out as explicit begin/end pads. VALID pads nothing.
 */
export function tfPads(
  padding: 'same' | 'valid',
  inSize: number,
  kernel: number,
  stride: number,
  dilation = 1,
): [begin: number, end: number] {
  if (padding === 'valid') return [0, 0];
  const out = Math.ceil(inSize / stride);
  const effectiveKernel = (kernel - 1) * dilation + 1;
  const total = Math.max((out - 1) * stride + effectiveKernel - inSize, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}
