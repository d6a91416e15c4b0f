/**
 * Reads an image's format and pixel size from its header, without decoding it. This is how
 * decompression bombs (a few bytes claiming 40000x40000 pixels) are refused before any decoder
 * allocates memory for them.
 */
import { open, type FileHandle } from 'node:fs/promises';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'bmp';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

export const SUPPORTED_IMAGE_FORMATS = 'JPEG, PNG, WebP, GIF or BMP';

/** The header's format and size, or null when the file is not one of the supported image formats. */
export async function readImageHeader(path: string): Promise<ImageHeader | null> {
  const file = await open(path, 'r');
  try {
    const head = await readAt(file, 0, 64);
    if (head.length >= 24 && head.subarray(0, 8).equals(PNG_SIGNATURE) && head.toString('latin1', 12, 16) === 'IHDR') {
      return { format: 'png', width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
    }
    if (head.length >= 4 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return await jpegHeader(file);
    if (head.length >= 30 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return webpHeader(head);
    if (head.length >= 10 && /^GIF8[79]a$/.test(head.toString('latin1', 0, 6))) {
      return { format: 'gif', width: head.readUInt16LE(6), height: head.readUInt16LE(8) };
    }
    if (head.length >= 26 && head.toString('latin1', 0, 2) === 'BM') {
      return { format: 'bmp', width: Math.abs(head.readInt32LE(18)), height: Math.abs(head.readInt32LE(22)) };
    }
    return null;
  } finally {
    await file.close();
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await file.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/** Walks the JPEG marker segments (EXIF/ICC blocks can be large) up to the first start-of-frame. */
async function jpegHeader(file: FileHandle): Promise<ImageHeader | null> {
  let pos = 2;
  for (let segments = 0; segments < 1000; segments++) {
    const marker = await readAt(file, pos, 9);
    if (marker.length < 4 || marker[0] !== 0xff) return null;
    const code = marker[1];
    if (code === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC)
    if (code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc) {
      if (marker.length < 9) return null;
      return { format: 'jpeg', height: marker.readUInt16BE(5), width: marker.readUInt16BE(7) };
    }
    if (code === 0xd9 || code === 0xda) return null; // end of image / scan data before any frame header
    pos += 2 + marker.readUInt16BE(2);
  }
  return null;
}

function webpHeader(head: Buffer): ImageHeader | null {
  const chunk = head.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') return { format: 'webp', width: head.readUInt16LE(26) & 0x3fff, height: head.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = head.readUInt32LE(21);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { format: 'webp', width: head.readUIntLE(24, 3) + 1, height: head.readUIntLE(27, 3) + 1 };
  return null;
}
