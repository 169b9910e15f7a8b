import { api, must } from '../api/client';

const MEDIA_PATH = /^\/api\/v1\/media\/[0-9a-f-]{36}\/\d+\/[A-Za-z0-9][\w.-]*$/;

/**
 * A task's data with each stored media path (an uploaded image, audio, video or PDF)
 * replaced by a signed, expiring URL of it: the editor's <img> and <audio> load those.
 */
export async function withSignedMedia(data: Record<string, unknown>): Promise<Record<string, unknown>> {
  const keys = Object.keys(data).filter(
    (k) => typeof data[k] === 'string' && MEDIA_PATH.test(data[k] as string),
  );
  if (keys.length === 0) return data;
  const { urls } = await must(
    api.POST('/api/v1/media/sign', { body: { urls: keys.map((k) => data[k] as string) } }),
  );
  const signed = { ...data };
  keys.forEach((k, i) => {
    signed[k] = urls[i];
  });
  return signed;
}
