// The part of dcmjs (untyped) that the product uses: reading a Part 10 file into the DICOM JSON model (DICOMweb
// metadata), and naturalizing / writing data sets (the result objects in src/results).
declare module 'dcmjs' {
  export interface DicomJsonElement {
    vr: string;
    Value?: unknown[];
    _rawValue?: unknown;
  }
  export type DicomJsonDataset = Record<string, DicomJsonElement>;
  export class DicomDict {
    constructor(meta: DicomJsonDataset);
    dict: DicomJsonDataset;
    write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
  }
  export const data: {
    DicomDict: typeof DicomDict;
    DicomMetaDictionary: {
      naturalizeDataset(dataset: DicomJsonDataset): Record<string, unknown>;
      denaturalizeDataset(dataset: Record<string, unknown>): DicomJsonDataset;
    };
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
