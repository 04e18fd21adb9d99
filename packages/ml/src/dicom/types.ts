/** The attributes the preprocessing pipeline and the product need from one DICOM instance. */
export interface DicomAttributes {
  readonly transferSyntaxUid: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly frameOfReferenceUid: string;
  readonly patientId: string;
  readonly patientName: string;
  readonly patientBirthDate: string;
  readonly patientSex: string;
  readonly patientAge: string;
  readonly studyDate: string;
  readonly studyTime: string;
  readonly studyDescription: string;
  readonly seriesDescription: string;
  readonly accessionNumber: string;
  readonly modality: string;
  readonly bodyPartExamined: string;
  readonly seriesNumber: number | null;
  readonly instanceNumber: number | null;
  readonly rows: number;
  readonly columns: number;
  readonly numberOfFrames: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 = unsigned, 1 = two's complement. */
  readonly pixelRepresentation: number;
  readonly photometricInterpretation: string;
  readonly planarConfiguration: number;
  readonly rescaleSlope: number;
  readonly rescaleIntercept: number;
  readonly rescaleType: string;
  readonly windowCenter: readonly number[];
  readonly windowWidth: readonly number[];
  readonly imagePositionPatient: readonly [number, number, number] | null;
  readonly imageOrientationPatient: readonly [number, number, number, number, number, number] | null;
  /** Row spacing then column spacing, in mm. */
  readonly pixelSpacing: readonly [number, number] | null;
  readonly sliceThickness: number | null;
}

/** One fragment of encapsulated pixel data: absolute byte offset in `ParsedDicom.bytes` and length. */
export interface PixelFragment {
  readonly position: number;
  readonly length: number;
  /** Offset from the first fragment's item tag, as the Basic Offset Table counts. */
  readonly offset: number;
}

/** Where the pixel data lies in `ParsedDicom.bytes`. */
export type PixelDataLocation =
  | { readonly encapsulated: false; readonly position: number; readonly length: number }
  | {
      readonly encapsulated: true;
      readonly fragments: readonly PixelFragment[];
      readonly basicOffsetTable: readonly number[];
    };

export interface ParsedDicom {
  readonly attrs: DicomAttributes;
  /** The bytes all positions refer to (the inflated data set for the deflated transfer syntax). */
  readonly bytes: Uint8Array;
  readonly pixelData: PixelDataLocation;
}

/** Raw stored values of one frame, before sign handling by Bits Stored and before the modality rescale. */
export type StoredArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

export interface StoredPixels {
  readonly rows: number;
  readonly columns: number;
  /** rows × columns values, row-major, one sample per pixel. */
  readonly values: StoredArray;
}

/** What `toHounsfield` needs from the attributes. */
export type RescaleAttributes = Pick<
  DicomAttributes,
  'bitsStored' | 'pixelRepresentation' | 'rescaleSlope' | 'rescaleIntercept'
>;
