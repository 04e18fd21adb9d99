/**
 * Transfer syntaxes the pipeline knows, and how each one is decoded. Anything not listed here, and the listed
 * ones marked `unsupported`, are rejected with UNSUPPORTED_TRANSFER_SYNTAX: a decoder we cannot trust would hand
 * the model silently wrong Hounsfield values, which is worse than refusing the file.
 */
export type PixelCodec = 'native' | 'rle' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg2000' | 'jpeg-baseline';

export interface TransferSyntaxInfo {
  readonly uid: string;
  readonly name: string;
  /** How the pixel data is decoded; null when the syntax is recognised but refused. */
  readonly codec: PixelCodec | null;
  /** True when the decoded values equal the encoded ones bit for bit. */
  readonly lossless: boolean;
  readonly bigEndian?: boolean;
  readonly reason?: string;
}

export const TRANSFER_SYNTAXES: Readonly<Record<string, TransferSyntaxInfo>> = Object.freeze({
  '1.2.840.10008.1.2': { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', codec: 'native', lossless: true },
  '1.2.840.10008.1.2.1': {
    uid: '1.2.840.10008.1.2.1',
    name: 'Explicit VR Little Endian',
    codec: 'native',
    lossless: true,
  },
  '1.2.840.10008.1.2.1.99': {
    uid: '1.2.840.10008.1.2.1.99',
    name: 'Deflated Explicit VR Little Endian',
    codec: 'native',
    lossless: true,
  },
  '1.2.840.10008.1.2.2': {
    uid: '1.2.840.10008.1.2.2',
    name: 'Explicit VR Big Endian',
    codec: 'native',
    lossless: true,
    bigEndian: true,
  },
  '1.2.840.10008.1.2.5': { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', codec: 'rle', lossless: true },
  '1.2.840.10008.1.2.4.57': {
    uid: '1.2.840.10008.1.2.4.57',
    name: 'JPEG Lossless, Non-Hierarchical (Process 14)',
    codec: 'jpeg-lossless',
    lossless: true,
  },
  '1.2.840.10008.1.2.4.70': {
    uid: '1.2.840.10008.1.2.4.70',
    name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 SV1)',
    codec: 'jpeg-lossless',
    lossless: true,
  },
  '1.2.840.10008.1.2.4.80': {
    uid: '1.2.840.10008.1.2.4.80',
    name: 'JPEG-LS Lossless',
    codec: 'jpeg-ls',
    lossless: true,
  },
  '1.2.840.10008.1.2.4.81': {
    uid: '1.2.840.10008.1.2.4.81',
    name: 'JPEG-LS Near-Lossless',
    codec: 'jpeg-ls',
    lossless: false,
  },
  '1.2.840.10008.1.2.4.90': {
    uid: '1.2.840.10008.1.2.4.90',
    name: 'JPEG 2000 Lossless Only',
    codec: 'jpeg2000',
    lossless: true,
  },
  '1.2.840.10008.1.2.4.91': { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000', codec: 'jpeg2000', lossless: false },
  '1.2.840.10008.1.2.4.50': {
    uid: '1.2.840.10008.1.2.4.50',
    name: 'JPEG Baseline (Process 1)',
    codec: 'jpeg-baseline',
    lossless: false,
  },
  '1.2.840.10008.1.2.4.51': {
    uid: '1.2.840.10008.1.2.4.51',
    name: 'JPEG Extended (Process 2 & 4)',
    codec: null,
    lossless: false,
    reason: 'no maintained 12-bit lossy JPEG decoder is available; transcode to a lossless syntax',
  },
});

export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  return TRANSFER_SYNTAXES[uid];
}
