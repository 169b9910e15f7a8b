import type { ECharts, EChartsCoreOption } from 'echarts/core';
import { useEffect, useRef, useState } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert';

/** An ECharts canvas; echarts itself is fetched the first time a chart mounts. */
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
        chart.current = echarts.init(el.current);
        chart.current.setOption(latest.current);
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
    chart.current?.setOption(option, true);
  }, [option]);

  if (error) return <ProblemAlert error={error} />;
  return <div ref={el} role="img" aria-label={label} data-testid="chart" style={{ width: '100%', height }} />;
}
