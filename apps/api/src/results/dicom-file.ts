import dcmjs from 'dcmjs';

/** A dataset in dcmjs's naturalized form (keywords as keys, sequences as arrays of datasets). */
export type NaturalDataset = Record<string, unknown>;

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** The product's implementation class UID: 2.25 + a UUID fixed for the ICH triage project. */
const IMPLEMENTATION_CLASS_UID = '2.25.196127004216322532906404018212233860451';
const IMPLEMENTATION_VERSION_NAME = 'ICH_TRIAGE_1';

/** Writes a naturalized dataset as a DICOM Part 10 file in explicit VR little endian. */
export function writePart10(dataset: NaturalDataset, vrMap: Record<string, string> = {}): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const version = new Uint8Array([0, 1]);
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: version.buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  });
  const dict = new DicomDict(meta);
  dict.dict = DicomMetaDictionary.denaturalizeDataset({ ...dataset, _vrMap: vrMap });
  return new Uint8Array(dict.write());
}

/** Reads a Part 10 file's data set (up to the pixel data) in naturalized form. */
export function readNatural(bytes: Uint8Array, untilPixelData = true): NaturalDataset {
  const { DicomMessage, DicomMetaDictionary } = dcmjs.data;
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const file = DicomMessage.readFile(
    buffer,
    untilPixelData ? { untilTag: '7FE00010', includeUntilTagValue: false } : {},
  );
  return DicomMetaDictionary.naturalizeDataset(file.dict) as NaturalDataset;
}
