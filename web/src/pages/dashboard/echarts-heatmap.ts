// The heat map and its colour scale, on top of the common charts.
import { HeatmapChart } from 'echarts/charts';
import { VisualMapComponent } from 'echarts/components';
import { echarts } from './echarts';

echarts.use([HeatmapChart, VisualMapComponent]);

export { echarts };
