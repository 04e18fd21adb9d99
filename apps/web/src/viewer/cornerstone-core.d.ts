// The part of cornerstone-core 2.6's API this viewer uses (the package ships no types).
declare module 'cornerstone-core' {
  export interface CornerstoneImage {
    imageId: string;
    minPixelValue: number;
    maxPixelValue: number;
    slope: number;
    intercept: number;
    windowCenter: number;
    windowWidth: number;
    getPixelData(): ArrayLike<number>;
    rows: number;
    columns: number;
    height: number;
    width: number;
    color: boolean;
    columnPixelSpacing: number;
    rowPixelSpacing: number;
    invert: boolean;
    sizeInBytes: number;
  }
  export interface Viewport {
    scale: number;
    translation: { x: number; y: number };
    voi: { windowWidth: number; windowCenter: number };
    invert: boolean;
    pixelReplication: boolean;
    rotation: number;
    hflip: boolean;
    vflip: boolean;
  }
  export type ImageLoader = (imageId: string) => { promise: Promise<CornerstoneImage>; cancelFn?: () => void };
  interface Cornerstone {
    enable(element: HTMLElement, options?: Record<string, unknown>): void;
    disable(element: HTMLElement): void;
    registerImageLoader(scheme: string, loader: ImageLoader): void;
    loadAndCacheImage(imageId: string): Promise<CornerstoneImage>;
    displayImage(element: HTMLElement, image: CornerstoneImage, viewport?: Partial<Viewport>): void;
    getViewport(element: HTMLElement): Viewport | undefined;
    setViewport(element: HTMLElement, viewport: Partial<Viewport>): void;
    getDefaultViewportForImage(element: HTMLElement, image: CornerstoneImage): Viewport;
    resize(element: HTMLElement, forceFit?: boolean): void;
    reset(element: HTMLElement): void;
    imageCache: { setMaximumSizeBytes(bytes: number): void; purgeCache(): void };
    EVENTS: { IMAGE_RENDERED: string };
  }
  const cornerstone: Cornerstone;
  export default cornerstone;
}
