/**
 * The DICOM tags this code base reads or writes, by their PS3.6 keyword, in the two forms it needs:
 * `Tag.Rows` is (group << 16) | element, what the synthetic writer takes; `TagKey.Rows` is dicom-parser's element
 * key, 'x' and eight lower-case hex digits ('x00280010'). Browser-safe: no imports.
 */
export const Tag = {
  // File meta information (group 0002).
  FileMetaInformationGroupLength: 0x00020000,
  FileMetaInformationVersion: 0x00020001,
  MediaStorageSOPClassUID: 0x00020002,
  MediaStorageSOPInstanceUID: 0x00020003,
  TransferSyntaxUID: 0x00020010,
  ImplementationClassUID: 0x00020012,
  ImplementationVersionName: 0x00020013,
  // SOP common, study, series.
  ImageType: 0x00080008,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  StudyTime: 0x00080030,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  Manufacturer: 0x00080070,
  StudyDescription: 0x00081030,
  SeriesDescription: 0x0008103e,
  // Patient.
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  PatientAge: 0x00101010,
  // Acquisition and geometry.
  BodyPartExamined: 0x00180015,
  SliceThickness: 0x00180050,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  StudyID: 0x00200010,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  ImagePositionPatient: 0x00200032,
  ImageOrientationPatient: 0x00200037,
  FrameOfReferenceUID: 0x00200052,
  SliceLocation: 0x00201041,
  // Image pixel module, rescale and VOI LUT.
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PixelSpacing: 0x00280030,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  WindowCenter: 0x00281050,
  WindowWidth: 0x00281051,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  RescaleType: 0x00281054,
  PixelData: 0x7fe00010,
} as const;

export type TagKeyword = keyof typeof Tag;

/** The same tags as dicom-parser names its elements: `ds.string(TagKey.StudyInstanceUID)`. */
export const TagKey = Object.fromEntries(
  Object.entries(Tag).map(([keyword, tag]) => [keyword, `x${tag.toString(16).padStart(8, '0')}`]),
) as { readonly [K in TagKeyword]: string };
