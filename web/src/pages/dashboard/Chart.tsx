import type { ECharts, EChartsCoreOption } from 'echarts/core';
import { useEffect, useRef, useState } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';

/**
 * A chart's plot box holds its axis labels and axis names (ECharts' outer bounds), and
 * starts below a top legend: neither can run into the other, whatever the language. The
 * pages' own margins were room for labels outside the box; inside it, a small margin is enough.
 */
function withRoom(option: EChartsCoreOption): EChartsCoreOption {
  const grid = option.grid as Record<string, unknown> | undefined;
  if (!grid || Array.isArray(grid)) return option;
  const top = typeof grid.top === 'number' ? grid.top : 0;
  const legend = option.legend ? { ...(option.legend as object), top: 0 } : undefined;
  type Axis = Record<string, unknown>;
  const x = option.xAxis as Axis | Axis[] | undefined;
  const xAxis = Array.isArray(x) ? x.map(inside) : x && inside(x);
  const y = option.yAxis as Axis | Axis[] | undefined;
  const yAxis = Array.isArray(y) ? y.map((axis, i) => alongside(axis, i)) : y && alongside(y);
  return {
    ...option,
    ...(legend ? { legend } : {}),
    ...(xAxis ? { xAxis } : {}),
    ...(yAxis ? { yAxis } : {}),
    // The labels are inside the box now: its edges need no room of their own for them.
    grid: {
      ...grid,
      left: MARGIN,
      right: MARGIN,
      bottom: MARGIN,
      outerBoundsMode: 'same',
      outerBoundsContain: 'all',
      top: legend ? Math.max(top, LEGEND_ROOM) : top,
    },
  };
}
/**
 * A horizontal axis's first and last labels start and end inside the plot, so that the
 * first one (a date, say) does not run under the vertical axis's lowest label.
 */
function inside(axis: Record<string, unknown>): Record<string, unknown> {
  const label = (axis.axisLabel ?? {}) as Record<string, unknown>;
  if (label.rotate) return axis;
  return { ...axis, axisLabel: { alignMinLabel: 'left', alignMaxLabel: 'right', ...label } };
}
/**
 * A vertical axis's name sits above it and reads into the plot (from the left axis
 * rightwards, from the right axis leftwards), so two axes' names do not meet in a narrow chart.
 */
function alongside(axis: Record<string, unknown>, index = 0): Record<string, unknown> {
  if (!axis.name) return axis;
  const right = axis.position === 'right' || (axis.position === undefined && index === 1);
  const style = (axis.nameTextStyle ?? {}) as Record<string, unknown>;
  return { ...axis, nameTextStyle: { align: right ? 'right' : 'left', ...style } };
}
/** The height kept above the plot for a one-line legend; the margin at the other edges. */
const LEGEND_ROOM = 36;
const MARGIN = 8;

/** An ECharts chart (SVG); echarts itself is fetched the first time a chart mounts. */
export function Chart({
  option,
  height = 300,
  label,
  heatmap = false,
}: {
  option: EChartsCoreOption;
  height?: number;
  label: string;
  /** The option draws a heat map: its chart type loads as an extra chunk. */
  heatmap?: boolean;
}) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  const [error, setError] = useState<unknown>(null);
  // The chart is created once; later options go through setOption below.
  const latest = useRef(option);
  latest.current = option;

  useEffect(() => {
    let disposed = false;
    const onResize = () => chart.current?.resize();
    (heatmap ? import('./echarts-heatmap') : import('./echarts'))
      .then(({ echarts }) => {
        if (disposed || !el.current) return;
        chart.current = echarts.init(el.current, null, { renderer: 'svg' });
        chart.current.setOption(withRoom(latest.current));
        window.addEventListener('resize', onResize);
      })
      .catch(setError);
    return () => {
      disposed = true;
      window.removeEventListener('resize', onResize);
      chart.current?.dispose();
      chart.current = null;
    };
  }, [heatmap]);

  useEffect(() => {
    chart.current?.setOption(withRoom(option), true);
  }, [option]);

  if (error) return <ProblemAlert error={error} />;
  return <div ref={el} role="img" aria-label={label} data-testid="chart" style={{ width: '100%', height }} />;
}
