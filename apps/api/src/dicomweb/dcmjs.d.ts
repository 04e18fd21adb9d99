// The part of dcmjs (untyped) that DICOMweb uses: reading a Part 10 file into the DICOM JSON model, writing one
// from it (STOW-RS JSON form), and the data dictionary's keywords.
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
    /** A Part 10 file to write: file meta + dataset in the DICOM JSON model (binary values as ArrayBuffers). */
    DicomDict: new (
      meta: Record<string, unknown>,
    ) => { dict: Record<string, unknown>; write(): ArrayBuffer };
    /** The data dictionary: keyword → `{ tag: '(gggg,eeee)', vr }` (QIDO includefield by keyword). */
    DicomMetaDictionary: {
      nameMap: Record<string, { tag: string; vr: string } | undefined>;
    };
  };
  const dcmjs: { data: typeof data };
  export default dcmjs;
}
