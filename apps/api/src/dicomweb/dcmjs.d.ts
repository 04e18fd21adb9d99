// The part of dcmjs (untyped) that DICOMweb metadata uses: reading a Part 10 file into the DICOM JSON model.
declare module 'dcmjs' {
  export interface DicomJsonElement {
    vr: string;
    Value?: unknown[];
    _rawValue?: unknown;
  }
  export type DicomJsonDataset = Record<string, DicomJsonElement>;
  export const data: {
    DicomMessage: {
      readFile(
        buffer: ArrayBuffer,
        options?: { untilTag?: string; includeUntilTagValue?: boolean; ignoreErrors?: boolean },
      ): { meta: DicomJsonDataset; dict: DicomJsonDataset };
    };
  };
  const dcmjs: { data: typeof data };
  export default dcmjs;
}
