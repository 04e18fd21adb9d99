import * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;

/** The parts of tfjs-backend-wasm's BackendWasm a kernel needs (not exported as a type by the package). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}

/**
 * tfjs-backend-wasm 4.22 has every kernel InceptionV3 training needs except Conv2DBackpropFilter (the weight
 * gradient of a convolution). This registers it for 'wasm': im2col in JavaScript straight into wasm memory, then
 * the backend's own BatchMatMul (XNNPACK, SIMD) computes colsᵀ · dy. 1×1 stride-1 convolutions (a third of
 * InceptionV3's) skip im2col: their columns are the input itself. Idempotent.
 */
export function registerWasmTrainingKernels(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  const matMul = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
  const reshape = tf.getKernel('Reshape', 'wasm')?.kernelFunc;
  if (!matMul || !reshape) throw new Error('tfjs-backend-wasm is not loaded (BatchMatMul/Reshape missing)');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const a = attrs as unknown as {
        strides: [number, number] | number;
        pad: 'valid' | 'same' | number;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
      const b = backend as unknown as WasmBackendLike;
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
        false,
        'channelsLast',
      );
      const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
      const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
      const M = batchSize * outHeight * outWidth;
      const K = filterHeight * filterWidth * inChannels;
      const pointwise =
        filterHeight === 1 &&
        filterWidth === 1 &&
        strideHeight === 1 &&
        strideWidth === 1 &&
        padInfo.top === 0 &&
        padInfo.left === 0;
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
                  if (iy < 0 || iy >= inHeight || ix < 0 || ix >= inWidth) {
                    out.fill(0, o, o + inChannels);
                  } else {
                    const base = ((n * inHeight + iy) * inWidth + ix) * inChannels;
                    for (let c = 0; c < inChannels; c++) out[o + c] = src[base + c]!;
                  }
                  o += inChannels;
                }
              }
      }
      const dy3 = reshape({ inputs: { x: dy }, backend, attrs: { shape: [1, M, outChannels] } }) as TensorInfo;
      const result = matMul({
        inputs: { a: cols, b: dy3 },
        backend,
        attrs: { transposeA: true, transposeB: false },
      }) as TensorInfo;
      b.disposeData(cols.dataId);
      b.disposeData(dy3.dataId);
      return { dataId: result.dataId, shape: [...a.filterShape], dtype: 'float32' };
    },
  });
}
