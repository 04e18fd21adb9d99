/** Window presets in Hounsfield units (centre/width), the usual head-CT set. */
export const WINDOW_PRESETS = [
  { key: '1', name: 'Brain', center: 40, width: 80 },
  { key: '2', name: 'Subdural', center: 80, width: 200 },
  { key: '3', name: 'Stroke', center: 40, width: 40 },
  { key: '4', name: 'Bone', center: 600, width: 2800 },
] as const;
