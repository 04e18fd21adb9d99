// The part of dcmjs (untyped) that DICOMweb uses: reading a Part 10 file into the DICOM JSON model, and the data
// dictionary's keywords.
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
    /** The data dictionary: keyword → `{ tag: '(gggg,eeee)', vr }` (QIDO includefield by keyword). */
    DicomMetaDictionary: {
      nameMap: Record<string, { tag: string; vr: string } | undefined>;
    };
  };
  const dcmjs: { data: typeof data };
  export default dcmjs;
}
