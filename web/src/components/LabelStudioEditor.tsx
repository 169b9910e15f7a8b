import { Alert } from 'antd';
import { forwardRef, useEffect, useImperativeHandle, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { editorConfig } from '../lib/dataPaths';
import { withSignedMedia } from '../lib/media';
import { type ResultProblem, resultProblems } from '../lib/results';
import { Loading } from './Loading';
import { ProblemAlert } from './ProblemAlert';

/** A Label Studio result region (from_name, to_name, type, value, id…), kept opaque. */
export type LsResult = Record<string, unknown>;

// The editor's own types are not published; these are the parts the console touches.
interface LsAnnotation {
  id: string;
  pk?: string | null;
  serializeAnnotation(): LsResult[];
  deserializeResults(result: LsResult[]): void;
  updateObjects(): void;
}
interface LsStore {
  annotationStore: {
    selected: LsAnnotation | null;
    annotations: LsAnnotation[];
    predictions: unknown[];
    addAnnotation(init: { userGenerate: boolean }): LsAnnotation;
    addAnnotationFromPrediction(prediction: unknown): LsAnnotation;
    selectAnnotation(id: string): void;
  };
}
interface LsInstance {
  destroy(): void;
}
type LsConstructor = new (root: HTMLElement, options: Record<string, unknown>) => LsInstance;

declare global {
  interface Window {
    LabelStudio?: LsConstructor;
  }
}

let loading: Promise<LsConstructor> | undefined;

/** Loads the editor bundle (served by the platform under /ls/, never from a CDN) once. */
export function loadLabelStudio(): Promise<LsConstructor> {
  loading ??= new Promise<LsConstructor>((resolve, reject) => {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = '/ls/main.css';
    document.head.appendChild(css);
    const script = document.createElement('script');
    script.src = '/ls/main.js';
    script.onload = () =>
      window.LabelStudio ? resolve(window.LabelStudio) : reject(new Error('LabelStudio'));
    script.onerror = () => {
      loading = undefined;
      reject(new Error('/ls/main.js'));
    };
    document.body.appendChild(script);
  });
  return loading;
}

export interface EditorTask {
  id: number;
  data: Record<string, unknown>;
  annotations?: { id: number; result: LsResult[] }[];
  predictions?: { id: number; result: LsResult[]; score?: number | null; model_version?: string | null }[];
}

export interface EditorProps {
  config: string;
  task: EditorTask;
  /** Shown by the editor; its user model takes integer ids, so the id is a constant. */
  userName: string;
  interfaces: string[];
  /** What the editor opens on: a new annotation (from a draft or the first prediction when given), or an existing one. */
  start: { kind: 'new'; draft?: LsResult[]; fromPrediction?: boolean } | { kind: 'annotation'; id: number };
  onSubmit?: (result: LsResult[]) => void;
  onUpdate?: (result: LsResult[]) => void;
  onSkip?: () => void;
  /** Called when an annotation is open and editable. */
  onReady?: () => void;
}

export interface EditorHandle {
  /** The open annotation's result as it stands. */
  result(): LsResult[];
}

function open(store: LsStore, start: EditorProps['start']): void {
  const as = store.annotationStore;
  if (start.kind === 'annotation') {
    const existing = as.annotations.find((a) => String(a.pk) === String(start.id)) ?? as.annotations[0];
    if (existing) as.selectAnnotation(existing.id);
    return;
  }
  if (!start.draft?.length && start.fromPrediction && as.predictions.length) {
    const a = as.addAnnotationFromPrediction(as.predictions[0]);
    as.selectAnnotation(a.id);
    return;
  }
  const a = as.addAnnotation({ userGenerate: true });
  as.selectAnnotation(a.id);
  if (start.draft?.length) {
    a.deserializeResults(start.draft);
    a.updateObjects();
  }
}

/**
 * The Label Studio editor (1.4.0). It is rebuilt when the config or task changes; the
 * callbacks are read through a ref so that re-renders of the page do not rebuild it.
 */
export const LabelStudioEditor = forwardRef<EditorHandle, EditorProps>(
  function LabelStudioEditor(props, ref) {
    const { t } = useTranslation();
    const root = useRef<HTMLElement>(null);
    const store = useRef<LsStore | null>(null);
    const latest = useRef(props);
    latest.current = props;
    const [error, setError] = useState<unknown>(null);
    const [ready, setReady] = useState(false);

    useImperativeHandle(ref, () => ({
      result: () => store.current?.annotationStore.selected?.serializeAnnotation() ?? [],
    }));

    const { config, task, userName } = props;
    const interfaces = props.interfaces.join(',');
    const problems = useMemo(() => storedProblems(config, task), [config, task]);
    useEffect(() => {
      let instance: LsInstance | undefined;
      let cancelled = false;
      setReady(false);
      // The editor would throw inside its store on such a result; say what is wrong instead.
      if (problems.length) return;
      Promise.all([loadLabelStudio(), withSignedMedia(task.data)])
        .then(([LabelStudio, data]) => {
          if (cancelled || !root.current) return;
          const mount = document.createElement('div');
          root.current.replaceChildren(mount);
          instance = new LabelStudio(mount, {
            config: editorConfig(config),
            task: { ...task, data },
            user: { id: 1, pk: 1, firstName: userName },
            interfaces: interfaces.split(','),
            onLabelStudioLoad: (ls: LsStore) => {
              const begin = () => {
                if (cancelled) return;
                store.current = ls;
                open(ls, latest.current.start);
                setReady(true);
                latest.current.onReady?.();
              };
              // The editor adds the task's predictions (and selects one) only after this
              // callback, so with predictions, open the annotation after that. Without, open
              // at once: the editor must not render without a selected annotation.
              if (task.predictions?.length) setTimeout(begin, 0);
              else begin();
            },
            onSubmitAnnotation: (_ls: LsStore, a: LsAnnotation) =>
              latest.current.onSubmit?.(a.serializeAnnotation()),
            onUpdateAnnotation: (_ls: LsStore, a: LsAnnotation) =>
              latest.current.onUpdate?.(a.serializeAnnotation()),
            onSkipTask: () => latest.current.onSkip?.(),
          });
        })
        .catch((e: unknown) => setError(e));
      return () => {
        cancelled = true;
        store.current = null;
        instance?.destroy();
      };
    }, [config, task, userName, interfaces, problems]);

    if (problems.length) return <InvalidResults problems={problems} />;
    return (
      <div data-testid="label-studio" data-ready={ready}>
        {error ? <ProblemAlert error={error} /> : null}
        {!ready && !error ? <Loading /> : null}
        <section ref={root} aria-label={t('editor.label')} />
      </div>
    );
  },
);

type StoredProblem = ResultProblem & { source: 'annotation' | 'prediction'; id: number };

/** The problems of every stored annotation and prediction of the task against the config. */
function storedProblems(config: string, task: EditorTask): StoredProblem[] {
  const of = (source: StoredProblem['source'], items: { id: number; result: LsResult[] }[] = []) =>
    items.flatMap((item) => resultProblems(config, item.result).map((p) => ({ ...p, source, id: item.id })));
  return [...of('annotation', task.annotations), ...of('prediction', task.predictions)];
}

function InvalidResults({ problems }: { problems: StoredProblem[] }) {
  const { t } = useTranslation();
  return (
    <Alert
      type="error"
      showIcon
      data-testid="invalid-results"
      title={t('editor.invalid')}
      description={
        <ul style={{ margin: 0, paddingInlineStart: 20 }}>
          {problems.map((p) => (
            <li key={`${p.source}-${p.id}-${p.region}`}>
              {t(`editor.${p.kind}`, { ...p, source: t(`editor.${p.source}`) })}
            </li>
          ))}
        </ul>
      }
    />
  );
}
