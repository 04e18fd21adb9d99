import * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;

/** The parts of tfjs-backend-wasm's BackendWasm a kernel needs (not exported as a type by the package). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}

/** Attributes shared by the two convolution gradient kernels. */
interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

let registered = false;

/**
 * Training kernels for tfjs-backend-wasm 4.22, built on its XNNPACK BatchMatMul:
 *
 * - Conv2DBackpropFilter (the weight gradient) is missing from the backend. dWᵀ = dyᵀ · cols: im2col in JavaScript
 *   straight into wasm memory, dy transposed in JavaScript (it is the smaller operand), one untransposed matmul, and
 *   the small [Co, K] result transposed back.
 * - Conv2DBackpropInput (the input gradient) exists but is a plain loop about 20× slower than the forward
 *   convolution; it is replaced by dCols = dy · Wᵀ (untransposed matmul) and a col2im scatter-add.
 *
 * BatchMatMul with transposeA/transposeB leaves XNNPACK's fast path (10–18× slower here), hence the explicit
 * transpositions. 1×1 stride-1 convolutions skip im2col/col2im. Idempotent.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  const matMul = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
  const reshape = tf.getKernel('Reshape', 'wasm')?.kernelFunc;
  if (!matMul || !reshape) throw new Error('tfjs-backend-wasm is not loaded (BatchMatMul/Reshape missing)');
  registered = true;

  const geometry = (xShape: number[], filterShape: number[], a: ConvGradAttrs) => {
    if (a.dataFormat === 'NCHW') throw new Error('convolution gradients (wasm): only NHWC is supported');
    const info = tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast',
    );
    const pointwise =
      info.filterHeight === 1 &&
      info.filterWidth === 1 &&
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      info.padInfo.top === 0 &&
      info.padInfo.left === 0;
    return { info, pointwise };
  };

  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const a = attrs as unknown as ConvGradAttrs;
      const b = backend as unknown as WasmBackendLike;
      const filterShape = a.filterShape!;
      const { info, pointwise } = geometry(x.shape, filterShape, a);
      const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
      const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
      const M = batchSize * outHeight * outWidth;
      const K = filterHeight * filterWidth * inChannels;
      let cols: TensorInfo;
      if (pointwise) cols = reshape({ inputs: { x }, backend, attrs: { shape: [1, M, K] } }) as TensorInfo;
      else {
        cols = b.makeOutput([1, M, K], 'float32');
        // Views after the allocation: growing wasm memory detaches older views.
        const out = b.typedArrayFromHeap(cols);
        const src = b.typedArrayFromHeap(x);
        let o = 0;
        for (let n = 0; n < batchSize; n++)
          for (let oy = 0; oy < outHeight; oy++)
            for (let ox = 0; ox < outWidth; ox++)
              for (let ky = 0; ky < filterHeight; ky++) {
                const iy = oy * strideHeight - padInfo.top + ky * dilationHeight;
                for (let kx = 0; kx < filterWidth; kx++) {
                  const ix = ox * strideWidth - padInfo.left + kx * dilationWidth;
                  if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) out.fill(0, o, o + inChannels);
                  else {
                    const base = ((n * inHeight + iy) * inWidth + ix) * inChannels;
                    for (let c = 0; c < inChannels; c++) out[o + c] = src[base + c]!;
                  }
                  o += inChannels;
                }
              }
      }
      const dyT = b.makeOutput([1, outChannels, M], 'float32');
      {
        const t = b.typedArrayFromHeap(dyT);
        const g = b.typedArrayFromHeap(dy);
        for (let m = 0; m < M; m++) for (let c = 0; c < outChannels; c++) t[c * M + m] = g[m * outChannels + c]!;
      }
      const product = matMul({
        inputs: { a: dyT, b: cols },
        backend,
        attrs: { transposeA: false, transposeB: false },
      }) as TensorInfo;
      b.disposeData(cols.dataId);
      b.disposeData(dyT.dataId);
      const result = b.makeOutput([...filterShape], 'float32');
      {
        const r = b.typedArrayFromHeap(result);
        const p = b.typedArrayFromHeap(product);
        for (let c = 0; c < outChannels; c++) for (let k = 0; k < K; k++) r[k * outChannels + c] = p[c * K + k]!;
      }
      b.disposeData(product.dataId);
      return result;
    },
  });

  if (tf.getKernel('Conv2DBackpropInput', 'wasm')) tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
      const a = attrs as unknown as ConvGradAttrs;
      const b = backend as unknown as WasmBackendLike;
      const inputShape = a.inputShape!;
      const { info, pointwise } = geometry(inputShape, filter.shape, a);
      const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
      const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
      const M = batchSize * outHeight * outWidth;
      const K = filterHeight * filterWidth * inChannels;
      // Wᵀ: [Co, K] from the HWIO filter seen as [K, Co].
      const wT = b.makeOutput([1, outChannels, K], 'float32');
      {
        const t = b.typedArrayFromHeap(wT);
        const w = b.typedArrayFromHeap(filter);
        for (let k = 0; k < K; k++) for (let c = 0; c < outChannels; c++) t[c * K + k] = w[k * outChannels + c]!;
      }
      const dy3 = reshape({ inputs: { x: dy }, backend, attrs: { shape: [1, M, outChannels] } }) as TensorInfo;
      const dCols = matMul({
        inputs: { a: dy3, b: wT },
        backend,
        attrs: { transposeA: false, transposeB: false },
      }) as TensorInfo;
      b.disposeData(dy3.dataId);
      b.disposeData(wT.dataId);
      if (pointwise) {
        const out = reshape({ inputs: { x: dCols }, backend, attrs: { shape: [...inputShape] } }) as TensorInfo;
        b.disposeData(dCols.dataId);
        return out;
      }
      const dx = b.makeOutput([...inputShape], 'float32');
      const out = b.typedArrayFromHeap(dx);
      const cols = b.typedArrayFromHeap(dCols);
      out.fill(0);
      let o = 0;
      for (let n = 0; n < batchSize; n++)
        for (let oy = 0; oy < outHeight; oy++)
          for (let ox = 0; ox < outWidth; ox++)
            for (let ky = 0; ky < filterHeight; ky++) {
              const iy = oy * strideHeight - padInfo.top + ky * dilationHeight;
              for (let kx = 0; kx < filterWidth; kx++) {
                const ix = ox * strideWidth - padInfo.left + kx * dilationWidth;
                if (iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth) {
                  const base = ((n * inHeight + iy) * inWidth + ix) * inChannels;
                  for (let c = 0; c < inChannels; c++) out[base + c] = out[base + c]! + cols[o + c]!;
                }
                o += inChannels;
              }
            }
      b.disposeData(dCols.dataId);
      return dx;
    },
  });
}
