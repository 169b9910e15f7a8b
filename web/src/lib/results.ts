import type { LsResult } from '../components/LabelStudioEditor';

/** Why a stored region cannot be shown: it names a control, or an object of it, the config lacks. */
export type ResultProblem =
  | { kind: 'control'; region: number; name: string }
  | { kind: 'target'; region: number; name: string; control: string };

/** Each control tag of a config (a tag with `toName`) and the object names it labels; null when it does not parse. */
function controlsOf(config: string): Map<string, string[]> | null {
  const doc = new DOMParser().parseFromString(config, 'text/xml');
  if (doc.querySelector('parsererror')) return null;
  const controls = new Map<string, string[]>();
  for (const el of Array.from(doc.querySelectorAll('[toName]'))) {
    const name = el.getAttribute('name');
    if (name) controls.set(name, el.getAttribute('toName')!.split(','));
  }
  return controls;
}

/**
 * The regions of a result that the editor (Label Studio 1.4.0) cannot open against this
 * config: it throws inside its own store on them, so they are caught here first. The
 * server refuses such results on every write; a config edited later can still leave some.
 */
export function resultProblems(config: string, result: LsResult[]): ResultProblem[] {
  const controls = controlsOf(config);
  // A config the browser cannot parse is the editor's to report.
  if (!controls) return [];
  const problems: ResultProblem[] = [];
  result.forEach((region, i) => {
    if (region.type === 'relation') return;
    const control = String(region.from_name ?? '');
    const targets = controls.get(control);
    if (!targets) {
      problems.push({ kind: 'control', region: i + 1, name: control });
      return;
    }
    const target = String(region.to_name ?? '');
    // Pairwise results name the control itself as to_name.
    if (!targets.includes(target) && target !== control)
      problems.push({ kind: 'target', region: i + 1, name: target, control });
  });
  return problems;
}
