import fs from 'node:fs';
import path from 'node:path';

/**
 * Label Studio's own material (templates, converter test data), read in place, never copied
 * here: `../shared/label-studio` beside the repository, as the project is checked out for
 * work; a clone elsewhere (a temporary folder for CI) finds the machine's copy through
 * SI_LABEL_STUDIO_DIR or at /work/shared/label-studio. Undefined when neither is there.
 */
export const LABEL_STUDIO_DIR = [
  process.env.SI_LABEL_STUDIO_DIR,
  path.resolve(import.meta.dirname, '../../shared/label-studio'),
  '/work/shared/label-studio',
].find((dir): dir is string => dir !== undefined && fs.existsSync(dir));
