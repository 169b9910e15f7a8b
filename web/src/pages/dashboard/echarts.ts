// Only the chart types and parts the console's pages draw (series data inline, no dataset;
// plain legends, no scrolling ones), so the chunk stays small; loaded on demand. The heat
// map has its own chunk (echarts-heatmap.ts): only quality draws it. Charts draw as SVG: the
// text stays text (readable by screen readers and selectable, and measurable by tests).
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendPlainComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  LineChart,
  PieChart,
  GridComponent,
  LegendPlainComponent,
  TooltipComponent,
  SVGRenderer,
]);

export { echarts };
