import { useEffect, useRef } from 'react';

/**
 * Page-level keys beside the editor's own (Ctrl+Enter submits, Ctrl+Space skips): each
 * entry is "alt+arrowright"-style, matched case-insensitively.
 */
export function useShortcuts(keys: Record<string, () => void>) {
  const latest = useRef(keys);
  latest.current = keys;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const name = [e.ctrlKey && 'ctrl', e.altKey && 'alt', e.shiftKey && 'shift', e.key.toLowerCase()]
        .filter(Boolean)
        .join('+');
      const run = latest.current[name];
      if (!run) return;
      e.preventDefault();
      run();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
