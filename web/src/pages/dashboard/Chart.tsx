import type { ECharts, EChartsCoreOption } from 'echarts/core';
import { useEffect, useRef, useState } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';

/**
 * A chart's plot box holds its axis labels and axis names (ECharts' outer bounds), and
 * starts below a top legend: neither can run into the other, whatever the language.
 */
function withRoom(option: EChartsCoreOption): EChartsCoreOption {
  const grid = option.grid as Record<string, unknown> | undefined;
  if (!grid || Array.isArray(grid)) return option;
  const top = typeof grid.top === 'number' ? grid.top : 0;
  const legend = option.legend ? { ...(option.legend as object), top: 0 } : undefined;
  type Axis = Record<string, unknown>;
  const x = option.xAxis as Axis | Axis[] | undefined;
  const xAxis = Array.isArray(x) ? x.map(inside) : x && inside(x);
  return {
    ...option,
    ...(legend ? { legend } : {}),
    ...(xAxis ? { xAxis } : {}),
    grid: {
      ...grid,
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
/** The height kept above the plot for a one-line legend. */
const LEGEND_ROOM = 36;

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
