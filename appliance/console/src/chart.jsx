// A live uPlot chart of one kind of load (load.js), redrawn at each sample.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { columns, subscribe } from './load.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export function LoadChart({ kind, title, unit }) {
  const box = useRef(null);
  const plot = useRef(null);
  const shape = useRef('');
  const [count, setCount] = useState(0);

  useEffect(() => {
    const draw = () => {
      const { names, data } = columns(kind);
      setCount(data[0].length);
      const el = box.current;
      if (!el) return;
      const width = Math.max(240, el.clientWidth || 300);
      const key = names.join('|');
      if (!plot.current || shape.current !== key) {
        plot.current && plot.current.destroy();
        shape.current = key;
        plot.current = new uPlot(
          {
            width,
            height: 180,
            legend: { live: false },
            scales: { y: { range: (u, min, max) => [0, Math.max(max || 0, kind === 'port' ? 1 : 5) * 1.1] } },
            axes: [{}, { label: unit, size: 50 }],
            series: [{}, ...names.map((n, i) => ({ label: n, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false }))],
          },
          data,
          el,
        );
      } else {
        if (plot.current.width !== width) plot.current.setSize({ width, height: 180 });
        plot.current.setData(data);
      }
    };
    const off = subscribe(draw);
    const onResize = () => draw();
    window.addEventListener('resize', onResize);
    return () => {
      off();
      window.removeEventListener('resize', onResize);
      plot.current && plot.current.destroy();
      plot.current = null;
    };
  }, [kind]);

  return (
    <figure class="chart" aria-label={`${title} over the last minutes`}>
      <figcaption>{title} <span class="muted">({unit}, {count} samples)</span></figcaption>
      <div ref={box} class="chart-box" />
    </figure>
  );
}
