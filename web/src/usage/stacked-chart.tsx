import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Stacked } from './stacked.js';

const PALETTE = ['#4f8ff7', '#f2994a', '#27ae60', '#bb6bd9', '#eb5757', '#2d9cdb', '#f2c94c', '#9b9b9b'];

/** Colours by model, in the order given (by tokens, largest first): a model keeps its colour in every chart. */
export function modelColors(models: readonly string[]): (model: string) => string {
  return (model) => PALETTE[Math.max(0, models.indexOf(model)) % PALETTE.length] as string;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** Local midnight of a YYYY-MM-DD day, in seconds: uPlot labels times in the browser's zone, which is the `tz` asked for. */
function dayToSeconds(key: string): number {
  const [y, m, d] = key.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime() / 1000;
}

interface Props {
  data: Stacked;
  label: string;
  /** A value in the legend (exact). */
  format: (v: number) => string;
  /** A value on the y axis (round numbers: shorter). */
  axisFormat?: (v: number) => string;
  colorOf: (model: string) => string;
}

const HALF_DAY = 43_200;

/** Bars per day stacked by model (uPlot: canvas, no inline script or style attributes, so the CSP holds). */
export function StackedChart({ data, label, format, axisFormat = format, colorOf }: Props) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const xs = data.keys.map(dayToSeconds);
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 } };
    const bars = uPlot.paths.bars?.({ size: [0.7, 48], gap: 1 });
    // Drawn top segment first: each series is the top of its model's segment, so the later
    // (lower) ones paint over the bars behind them and each model shows only its own part.
    // The legend follows the series: it is turned round below (largest model first).
    const order = data.models.map((_, m) => m).reverse();
    const totals = data.values.map((own) => own.reduce((sum, v) => sum + v, 0));
    const period = `${data.keys.length} ${data.keys.length === 1 ? 'day' : 'days'}`;
    const opts: uPlot.Options = {
      width: el.clientWidth,
      height: 220,
      legend: { show: true, live: true },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
      scales: {
        // Half a day of room on each side, so that the first and last bars are whole.
        x: { time: true, range: (_u, min, max) => [min - HALF_DAY, max + HALF_DAY] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] },
      },
      axes: [{ ...axis }, { ...axis, size: 64, values: (_u, ticks) => ticks.map((t) => axisFormat(t)) }],
      // With the cursor off the bars the legend shows the period's totals (uPlot would show
      // "Day:" and every model with no value): the first label reads "Total" then, "Day" on a bar.
      hooks: {
        setLegend: [
          (u) => {
            const first = u.root.querySelector('.u-legend .u-series:first-child .u-label');
            if (first) first.textContent = u.legend.idx == null ? 'Total' : 'Day';
          },
        ],
      },
      series: [
        {
          label: 'Day',
          value: (_u, v) => (v === null ? period : new Date(v * 1000).toLocaleDateString()),
        },
        ...order.map((m) => ({
          label: data.models[m] as string,
          fill: colorOf(data.models[m] as string),
          stroke: colorOf(data.models[m] as string),
          width: 0,
          ...(bars ? { paths: bars } : {}),
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _s: number, i: number | null) =>
            format(i === null ? (totals[m] as number) : ((data.values[m] as number[])[i] ?? 0)),
        })),
      ],
    };
    const chart = new uPlot(opts, [xs, ...order.map((m) => data.tops[m] as number[])], el);
    // uPlot keeps each legend row's cells by reference, so the rows may move: the day stays first.
    const legend = el.querySelector('.u-legend tbody');
    if (legend) legend.append(...[...legend.children].slice(1).reverse());
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [data, format, axisFormat, colorOf]);
  return <div class="chart" ref={host} role="img" aria-label={label} />;
}
