import { useVirtualizer } from '@tanstack/react-virtual';
import { Button, Checkbox, Empty, Tag } from 'antd';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { GetResponse } from '../../api/client';
import { useFormat } from '../../lib/format';
import { Highlighted, pointerOf, rangesAt } from './Highlighted';

export type TaskRow = GetResponse<'/api/v1/projects/{id}/tasks'>['items'][number];

const ROW_HEIGHT = 40;
/** The narrowest a data column gets; the gap between columns. */
const DATA_MIN = 160;
const GAP = 8;
/** The Element Timing name of the first row's id cell. */
const FIRST_ROW_TIMING = { elementtiming: 'first-task-row' };
const STATUS_COLOR: Record<string, string> = {
  pending: 'default',
  in_progress: 'processing',
  completed: 'success',
  reviewed: 'purple',
  cancelled: 'warning',
  skipped: 'warning',
};

/** What the status column says: a task only ever skipped is "Skipped", not "In progress". */
function shownStatus(task: TaskRow): string {
  const onlySkipped = !task.is_finished && task.total_annotations === 0 && task.cancelled_annotations > 0;
  return onlySkipped ? 'skipped' : task.status;
}

/** Who a task is for: those labeling it now first, then those it is assigned to. */
function peopleOf(
  task: TaskRow,
  nameOf: (id: string) => string,
  t: (key: string, options?: Record<string, string>) => string,
): string[] {
  const holding = task.holders.map((id) => t('people.holding', { name: nameOf(id) }));
  const assigned = task.assignees.filter((id) => !task.holders.includes(id)).map(nameOf);
  return [...holding, ...assigned];
}

function cell(value: unknown): string {
  if (value == null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

interface Props {
  rows: TaskRow[];
  /** The data fields shown as columns, in order. */
  dataKeys: string[];
  selected: Set<number>;
  allSelected: boolean;
  /** A row's box was clicked; `range` with Shift: every row from the last one clicked. */
  onToggle: (id: number, range: boolean) => void;
  /** A user's name, for the assignee column. */
  nameOf: (userId: string) => string;
  onToggleAll: () => void;
  /** A task's id was clicked: show its detail. */
  onOpen: (task: TaskRow) => void;
  /** Asked for when the rows scrolled to come near the end of those loaded. */
  onNearEnd: () => void;
  loading: boolean;
  /** A filter or search is set: an empty table means nothing matches, not an empty project. */
  filtered: boolean;
}

/** The task table: only the rows in view are in the DOM, whatever the project's size. */
export function TaskGrid({
  rows,
  dataKeys,
  selected,
  allSelected,
  onToggle,
  nameOf,
  onToggleAll,
  onOpen,
  onNearEnd,
  loading,
  filtered,
}: Props) {
  const { t } = useTranslation('data');
  const fmt = useFormat();
  const scroller = useRef<HTMLTableSectionElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const items = virtual.getVirtualItems();
  const last = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (rows.length && last >= rows.length - 30) onNearEnd();
  }, [last, rows.length, onNearEnd]);

  // The data columns come right after the id and status, so that a narrow window still shows
  // the text; the grid is never narrower than its columns' minimum and scrolls sideways.
  const lead = [
    { key: 'id', width: 80 },
    { key: 'status', width: 110 },
  ];
  const rest = [
    { key: 'assignee', width: 160 },
    { key: 'priority', width: 80 },
    { key: 'annotations', width: 100 },
    { key: 'predictions', width: 100 },
    { key: 'score', width: 70 },
    { key: 'comments', width: 100 },
    { key: 'created', width: 170 },
  ];
  const fixed = [...lead, ...rest].reduce((sum, c) => sum + c.width, 40);
  const minWidth =
    fixed + dataKeys.length * DATA_MIN + GAP * (lead.length + rest.length + dataKeys.length) + 16;
  const px = (cols: { width: number }[]) => cols.map((c) => `${c.width}px`).join(' ');
  const template = `40px ${px(lead)} ${dataKeys.map(() => `minmax(${DATA_MIN}px, 1fr)`).join(' ')} ${px(rest)}`;
  const rowStyle: React.CSSProperties = {
    display: 'grid',
    gridTemplateColumns: template,
    alignItems: 'center',
    height: ROW_HEIGHT,
    borderBottom: '1px solid #f0f0f0',
    paddingInline: 8,
    gap: GAP,
  };

  const cellStyle: React.CSSProperties = {
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  };
  return (
    <div style={{ overflowX: 'auto', maxWidth: '100%' }}>
      <table
        aria-rowcount={rows.length}
        aria-label={t('grid.label')}
        style={{
          display: 'block',
          minWidth,
          border: '1px solid #f0f0f0',
          borderRadius: 8,
          background: '#fff',
        }}
      >
        <thead style={{ display: 'block' }}>
          <tr style={{ ...rowStyle, background: '#fafafa' }}>
            <th>
              <Checkbox checked={allSelected} onChange={onToggleAll} aria-label={t('grid.selectAll')} />
            </th>
            {lead.map((c) => (
              <th key={c.key} style={{ ...cellStyle, textAlign: 'start' }}>
                {t(`columns.${c.key}`)}
              </th>
            ))}
            {dataKeys.map((k) => (
              <th key={`data.${k}`} style={{ ...cellStyle, textAlign: 'start' }}>
                {k}
              </th>
            ))}
            {rest.map((c) => (
              <th key={c.key} style={{ ...cellStyle, textAlign: 'start' }}>
                {c.key === 'assignee' ? t('people.column') : t(`columns.${c.key}`)}
              </th>
            ))}
          </tr>
        </thead>
        {/* The body scrolls; rows are placed absolutely at their offset, under a spacer of the full height. */}
        <tbody
          ref={scroller}
          style={{
            display: 'block',
            position: 'relative',
            height: 'calc(100vh - 330px)',
            minHeight: 320,
            overflow: 'auto',
          }}
        >
          <tr aria-hidden style={{ display: 'block', height: virtual.getTotalSize() }} />
          {!loading && rows.length === 0 ? (
            <tr style={{ display: 'block', position: 'absolute', top: 0, width: '100%' }}>
              <td style={{ display: 'block' }}>
                <Empty description={t(filtered ? 'grid.empty' : 'grid.none')} style={{ padding: 32 }} />
              </td>
            </tr>
          ) : null}
          {items.map((item) => {
            const task = rows[item.index]!;
            return (
              <tr
                key={task.id}
                data-testid="task-row"
                aria-rowindex={item.index + 1}
                style={{
                  ...rowStyle,
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                <td>
                  <Checkbox
                    checked={allSelected || selected.has(task.id)}
                    onChange={(e) => onToggle(task.id, e.nativeEvent.shiftKey)}
                    aria-label={t('grid.select', { id: task.id })}
                  />
                </td>
                {/* Element Timing: the paint of the first row is observable (bench/console.ts). */}
                <td {...(item.index === 0 ? FIRST_ROW_TIMING : {})}>
                  <Button
                    type="link"
                    size="small"
                    style={{ padding: 0 }}
                    onClick={() => onOpen(task)}
                    aria-label={t('grid.open', { id: task.id })}
                  >
                    {task.id}
                  </Button>
                </td>
                <td>
                  <Tag color={STATUS_COLOR[shownStatus(task)]}>{t(`status.${shownStatus(task)}`)}</Tag>
                </td>
                {dataKeys.map((k) => (
                  <td key={k} style={cellStyle} title={cell(task.data[k])}>
                    {/* A match in a nested value shows in the task's detail. */}
                    <Highlighted
                      text={cell(task.data[k])}
                      ranges={typeof task.data[k] === 'string' ? rangesAt(task.highlights, pointerOf(k)) : []}
                    />
                  </td>
                ))}
                <td style={cellStyle} title={peopleOf(task, nameOf, t).join(', ')} data-testid="assignee">
                  {peopleOf(task, nameOf, t).join(', ')}
                </td>
                <td>{t(`priority.${task.priority}`)}</td>
                <td>{fmt.number(task.total_annotations)}</td>
                <td>{fmt.number(task.total_predictions)}</td>
                <td>{fmt.number(task.prediction_score, 2)}</td>
                <td data-testid="unresolved-comments">
                  {task.unresolved_comments ? (
                    <Tag
                      color="orange"
                      title={t('grid.unresolvedComments', { count: task.unresolved_comments })}
                    >
                      {fmt.number(task.unresolved_comments)}
                    </Tag>
                  ) : null}
                </td>
                <td style={cellStyle}>{fmt.date(task.created_at)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
