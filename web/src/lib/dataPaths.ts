/**
 * The embedded editor (Label Studio frontend 1.4.0) reads a `$path` with lodash.get but only
 * matches `$[a-z0-9_.]+`, so `$images[0].url` shows nothing. Label Studio's newer editors
 * read indexes; the server reads both forms (src/modules/annotation/label-config/data-paths.ts).
 * Handing the editor `$images.0.url` makes it show the same value.
 */
const INDEXED_REF = /(=\s*["'])\$([^"'\s]*\[\d+\][^"'\s]*)(["'])/g;

export function editorConfig(config: string): string {
  return config.replace(
    INDEXED_REF,
    (_all, open: string, path: string, close: string) =>
      `${open}$${path.replace(/\[(\d+)\]/g, '.$1')}${close}`,
  );
}
