import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface SeriesSpec {
  readonly label: string;
  readonly color: string;
  readonly dash?: number[];
}

export interface LineChartProps {
  readonly title: string;
  /** Column data: x first, then one array per series (null = gap). */
  readonly data: readonly (readonly (number | null)[])[];
  readonly series: readonly SeriesSpec[];
  /** Bump to redraw after the arrays were appended to in place (no copy per epoch). */
  readonly version: number;
  /** x values are unix seconds (dates) instead of epochs. */
  readonly time?: boolean;
  readonly height?: number;
  /** Called once, after the first draw that has points: how long that draw took, and how many points it drew. */
  readonly onFirstDraw?: (ms: number, points: number) => void;
  readonly yFormat?: (value: number) => string;
}

/**
 * A canvas time-series chart (uPlot): appending a point redraws the canvas only, never the page, and thousands of
 * points draw in milliseconds. The box has a fixed height, and the axes fixed sizes, so a streaming run never shifts
 * the layout.
 */
export function LineChart(props: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const firstDrawn = useRef(false);
  const drawStarted = useRef(0);
  const justCreated = useRef(false);
  // Created at the first point, not before: an empty uPlot has no axes, and adding them would move its plot area.
  const hasData = (props.data[0]?.length ?? 0) > 0;

  useEffect(() => {
    const element = box.current;
    if (!element || !hasData) return;
    drawStarted.current = performance.now();
    const height = props.height ?? 220;
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height,
      scales: { x: { time: props.time === true } },
      // Fixed axis sizes: sized from the tick labels, the plot area would move whenever a new point changes them.
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' }, size: 40 },
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          size: 64,
          ...(props.yFormat ? { values: (_u, ticks) => ticks.map(props.yFormat!) } : {}),
        },
      ],
      series: [
        { label: props.time ? 'time' : 'epoch' },
        ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, dash: s.dash, spanGaps: true, points: { show: false } })),
      ],
      hooks: {
        draw: [
          (u) => {
            if (firstDrawn.current || u.data[0].length === 0) return;
            firstDrawn.current = true;
            props.onFirstDraw?.(performance.now() - drawStarted.current, u.data[0].length);
          },
        ],
      },
    };
    const chart = new uPlot(options, props.data as uPlot.AlignedData, element);
    plot.current = chart;
    justCreated.current = true;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // The series layout is fixed for a chart's life; data changes go through setData below.
  }, [props.series.length, props.time, hasData]);

  useEffect(() => {
    // Just created with this data: drawing it again would only hide what the creation cost.
    if (justCreated.current) return void (justCreated.current = false);
    drawStarted.current = performance.now();
    plot.current?.setData(props.data as uPlot.AlignedData);
  }, [props.version, props.data]);

  const points = props.data[0]?.length ?? 0;
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div
        ref={box}
        class="chart-box"
        style={{ minHeight: `${(props.height ?? 220) + 40}px` }}
        data-points={points}
        aria-label={`${props.title} chart, ${points} points`}
        role="img"
      />
    </figure>
  );
}

/** Drawdown below the running peak, as a negative fraction, for a drawdown chart under an equity chart. */
export function drawdown(equity: readonly number[]): number[] {
  let peak = -Infinity;
  return equity.map((value) => {
    peak = Math.max(peak, value);
    return peak > 0 ? value / peak - 1 : 0;
  });
}
