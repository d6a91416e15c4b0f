export interface StoredObject {
  key: string;
  url: string;
  bytes: number;
}

export interface UploadTarget {
  url: string;
  headers: Record<string, string>;
}

/** Where outputs go. Local disk (default, served by the API at /files/...) or S3-compatible storage. */
export interface Storage {
  readonly driver: 'local' | 's3';
  putFile(key: string, filePath: string, contentType: string): Promise<StoredObject>;
  putBuffer(key: string, body: Buffer | string, contentType: string): Promise<StoredObject>;
  /** URL a client downloads the object from (public or presigned per settings). */
  urlFor(key: string): Promise<string>;
  /** URL a remote worker PUTs the object to, without holding storage credentials. */
  uploadTarget(key: string, contentType: string): Promise<UploadTarget>;
  stat(key: string): Promise<{ bytes: number } | null>;
  /** reads a (small) stored object back, e.g. a large JSON result a GPU worker uploaded */
  getBuffer(key: string): Promise<Buffer>;
  health(): Promise<void>;
}
