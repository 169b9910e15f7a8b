import { createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { badRequest, forbidden } from '../../../platform/errors/problem.ts';
import { tenantKey } from '../../../platform/storage/storage.ts';
import type { ParsedConfig } from '../schema.ts';

/**
 * Media files dropped into an import (images, audio, video, PDFs): what they are, by their
 * first bytes (never by their name), where they are stored, and the signed URLs the editor
 * loads them from. A task's data keeps the stable path (`/api/v1/media/<tenant>/<project>/<name>`);
 * the console asks POST /api/v1/media/sign for a short-lived signed URL of it when it shows
 * the task, as Label Studio resolves a storage URL to a presigned one.
 */

export type MediaKind = 'image' | 'audio' | 'video' | 'pdf';

export interface MediaType {
  kind: MediaKind;
  mime: string;
  ext: string;
}

/** The first bytes a sniff needs. */
export const SNIFF_BYTES = 32;

const ascii = (head: Buffer, at: number, text: string) =>
  head.subarray(at, at + text.length).toString('latin1') === text;

/**
 * The media type by magic bytes. SVG (script inside an image) and HTML are never media:
 * served from this origin they would run in it.
 */
export function sniffMedia(head: Buffer): MediaType | null {
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return { kind: 'image', mime: 'image/png', ext: 'png' };
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff)
    return { kind: 'image', mime: 'image/jpeg', ext: 'jpg' };
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a'))
    return { kind: 'image', mime: 'image/gif', ext: 'gif' };
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP'))
    return { kind: 'image', mime: 'image/webp', ext: 'webp' };
  if (ascii(head, 0, 'BM') && head.length >= 14) return { kind: 'image', mime: 'image/bmp', ext: 'bmp' };
  if (ascii(head, 0, 'II*\0') || ascii(head, 0, 'MM\0*'))
    return { kind: 'image', mime: 'image/tiff', ext: 'tif' };
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE'))
    return { kind: 'audio', mime: 'audio/wav', ext: 'wav' };
  if (ascii(head, 0, 'OggS')) return { kind: 'audio', mime: 'audio/ogg', ext: 'ogg' };
  if (ascii(head, 0, 'fLaC')) return { kind: 'audio', mime: 'audio/flac', ext: 'flac' };
  // MP3: an ID3 tag, or an MPEG audio frame sync (11 set bits).
  if (ascii(head, 0, 'ID3') || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0))
    return { kind: 'audio', mime: 'audio/mpeg', ext: 'mp3' };
  if (ascii(head, 4, 'ftyp')) {
    const brand = head.subarray(8, 12).toString('latin1');
    if (brand.startsWith('M4A') || brand.startsWith('M4B'))
      return { kind: 'audio', mime: 'audio/mp4', ext: 'm4a' };
    if (brand === 'qt  ') return { kind: 'video', mime: 'video/quicktime', ext: 'mov' };
    return { kind: 'video', mime: 'video/mp4', ext: 'mp4' };
  }
  if (head.subarray(0, 4).equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])))
    return { kind: 'video', mime: 'video/webm', ext: 'webm' };
  if (ascii(head, 0, '%PDF-')) return { kind: 'pdf', mime: 'application/pdf', ext: 'pdf' };
  return null;
}

const MIME_OF_EXT: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  mov: 'video/quicktime',
  mp4: 'video/mp4',
  webm: 'video/webm',
  pdf: 'application/pdf',
};

/** The content type a stored media file is served with (its extension was set from its bytes). */
export const mimeOfName = (name: string) => MIME_OF_EXT[name.split('.').at(-1) ?? ''];

/** The object tags that show each kind of media, in the order one is chosen. */
const TAGS_OF_KIND: Record<MediaKind, string[]> = {
  image: ['image'],
  audio: ['audio', 'audioplus'],
  video: ['video'],
  pdf: ['pdf', 'hypertext'],
};

/** The data key a media file of this kind goes into: the value of the config's first tag that shows it. */
export function mediaKeyOf(config: ParsedConfig, kind: MediaKind, fileName: string): string {
  const tag = config.objects.find((o) => TAGS_OF_KIND[kind].includes(o.type.toLowerCase()));
  const key = tag && /^\$([A-Za-z_][\w-]*)$/.exec(tag.value)?.[1];
  if (!key)
    throw badRequest(
      'media.no_tag',
      `"${fileName}" is ${kind === 'image' ? 'an image' : kind === 'pdf' ? 'a PDF' : kind}, but the labeling config has no ${TAGS_OF_KIND[kind].map((t) => `<${t}>`).join(' or ')} tag with value="$key" to show it.`,
      [{ path: 'body/file', message: `needs a config tag for ${kind}` }],
      { filename: fileName },
    );
  return key;
}

/** Reads the first SNIFF_BYTES of a stream and gives them back with the whole stream. */
export async function peek(source: AsyncIterable<Buffer>): Promise<{ head: Buffer; body: Readable }> {
  const it = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < SNIFF_BYTES) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.length;
  }
  async function* all() {
    yield* chunks;
    if (done) return;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  return { head: Buffer.concat(chunks).subarray(0, SNIFF_BYTES), body: Readable.from(all()) };
}

// ------------------------------------------------------------------ keys and signed URLs

const MEDIA_PREFIX = '/api/v1/media/';

/** Where a project's files are kept: one prefix, removed with the project. */
export const projectFilesPrefix = (tenantId: string, projectId: number) =>
  tenantKey(tenantId, 'projects', projectId);

export const mediaStorageKey = (tenantId: string, projectId: number, name: string) =>
  tenantKey(tenantId, 'projects', projectId, 'media', name);

/** The stable path a task's data keeps. */
export const mediaPath = (tenantId: string, projectId: number, name: string) =>
  `${MEDIA_PREFIX}${tenantId}/${projectId}/${name}`;

export interface MediaRef {
  tenantId: string;
  projectId: number;
  name: string;
}

/** A media path (or URL, signed or not) back to its parts; undefined for anything else. */
export function parseMediaPath(url: string): MediaRef | undefined {
  let pathname: string;
  try {
    pathname = new URL(url, 'http://x').pathname;
  } catch {
    return undefined;
  }
  const m = /^\/api\/v1\/media\/([0-9a-f-]{36})\/(\d+)\/([A-Za-z0-9][\w.-]*)$/.exec(pathname);
  if (!m) return undefined;
  return { tenantId: m[1]!, projectId: Number(m[2]), name: m[3]! };
}

/**
 * The key that signs media URLs, derived from the platform's master key: the master key
 * itself never signs anything a browser sees.
 */
export const mediaSigningKey = (masterKey: Buffer) =>
  createHmac('sha256', masterKey).update('superinsight media url signing v1').digest();

const signatureOf = (key: Buffer, ref: MediaRef, expires: number) =>
  createHmac('sha256', key)
    .update(`${ref.tenantId}\n${ref.projectId}\n${ref.name}\n${expires}`)
    .digest('base64url');

/** A URL valid until `expires` (unix seconds) for this tenant's file, and only for it. */
export function signMediaUrl(key: Buffer, ref: MediaRef, expires: number): string {
  return `${mediaPath(ref.tenantId, ref.projectId, ref.name)}?expires=${expires}&signature=${signatureOf(key, ref, expires)}`;
}

/** Throws a 403 unless the signature is this file's and has not expired. */
export function checkMediaSignature(
  key: Buffer,
  ref: MediaRef,
  expires: number,
  signature: string,
  now = Date.now(),
): void {
  const want = Buffer.from(signatureOf(key, ref, expires));
  const got = Buffer.from(signature);
  if (got.length !== want.length || !timingSafeEqual(got, want))
    throw forbidden('media.signature_invalid', 'The link to this file is not valid.');
  if (expires * 1000 < now)
    throw forbidden('media.signature_expired', 'The link to this file has expired; reopen the task.');
}
