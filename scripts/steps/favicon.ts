// Writes docs/favicon.ico: browsers ask every site for /favicon.ico, and a static host should answer it. The icon
// (a white bolt on the site's accent blue) is drawn here pixel by pixel, so the repository holds no binary file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from '../lib/steps.ts';
import { docsDir } from './docs.ts';

const SIZE = 32;
const ACCENT = [0x1f, 0x5f, 0xbf]; // the reference index's --accent
// The bolt, in pixel coordinates of the 32x32 square (y grows downwards).
const BOLT: [number, number][] = [[18, 3], [8, 18], [15, 18], [12, 29], [24, 13], [17, 13], [21, 3]];

function inside(polygon: [number, number][], x: number, y: number): boolean {
  let result = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) result = !result;
  }
  return result;
}

/** A 32x32, 32-bit ICO: ICONDIR, one ICONDIRENTRY, a BITMAPINFOHEADER, BGRA rows bottom-up, an empty AND mask. */
export function faviconIco(): Buffer {
  const pixels = Buffer.alloc(SIZE * SIZE * 4);
  for (let row = 0; row < SIZE; row++) {
    const y = SIZE - 1 - row; // bitmap rows are stored bottom-up
    for (let x = 0; x < SIZE; x++) {
      const corner = Math.min(x, SIZE - 1 - x) + Math.min(y, SIZE - 1 - y) < 3; // clipped corners
      const bolt = inside(BOLT, x + 0.5, y + 0.5);
      const [r, g, b] = bolt ? [255, 255, 255] : ACCENT;
      pixels.set([b!, g!, r!, corner ? 0 : 255], (row * SIZE + x) * 4);
    }
  }
  const mask = Buffer.alloc(SIZE * 4); // 1 bit per pixel, rows padded to 4 bytes; alpha does the work
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(SIZE, 4);
  header.writeInt32LE(SIZE * 2, 8); // colour rows plus mask rows
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(pixels.length + mask.length, 20);
  const image = Buffer.concat([header, pixels, mask]);
  const directory = Buffer.alloc(6 + 16);
  directory.writeUInt16LE(1, 2); // type: icon
  directory.writeUInt16LE(1, 4); // one image
  directory.writeUInt8(SIZE, 6);
  directory.writeUInt8(SIZE, 7);
  directory.writeUInt16LE(1, 10); // planes
  directory.writeUInt16LE(32, 12); // bits per pixel
  directory.writeUInt32LE(image.length, 14);
  directory.writeUInt32LE(directory.length, 18);
  return Buffer.concat([directory, image]);
}

export const faviconPath = (root: string) => join(docsDir(root), 'favicon.ico');

export function faviconStep(root: string): Step {
  const output = faviconPath(root);
  return {
    name: 'docs favicon',
    inputs: [`${root}/scripts/steps/favicon.ts`],
    outputs: [output],
    async run() {
      mkdirSync(docsDir(root), { recursive: true });
      writeFileSync(output, faviconIco());
    },
  };
}
