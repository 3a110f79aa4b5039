// Sales per minute per channel as a small inline SVG: one polyline per channel over the last
// 15 minutes, drawn with createElementNS (no library, no HTML strings).

const NS = 'http://www.w3.org/2000/svg';
const COLOURS = ['#c8102e', '#1f6feb', '#127a4a', '#9a6700', '#8250df', '#0a7ea4', '#d4507a', '#57606a', '#6e7781'];

function node(tag, attrs, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

// `series`: [{channel, per_minute: [15 numbers]}]; `minutesFrom`: unix seconds of the first.
export function salesChart(series, minutesFrom, label) {
  const width = 600;
  const height = 180;
  const left = 28;
  const bottom = 20;
  const minutes = series.length ? series[0].per_minute.length : 15;
  const top = Math.max(1, ...series.flatMap((s) => s.per_minute));
  const x = (i) => left + (i * (width - left - 8)) / Math.max(1, minutes - 1);
  const y = (v) => height - bottom - (v * (height - bottom - 8)) / top;
  const svg = node('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': label, id: 'sales-chart' });
  svg.append(node('line', { x1: left, y1: y(0), x2: width - 8, y2: y(0), stroke: '#e4e7ec' }));
  svg.append(node('text', { x: 2, y: y(top) + 4 }, String(top)));
  svg.append(node('text', { x: 2, y: y(0) + 4 }, '0'));
  for (const i of [0, Math.floor((minutes - 1) / 2), minutes - 1]) {
    const at = new Date((minutesFrom + i * 60) * 1000);
    const hhmm = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    svg.append(node('text', { x: x(i) - 12, y: height - 4 }, hhmm));
  }
  series.forEach((s, k) => {
    const points = s.per_minute.map((v, i) => `${x(i)},${y(v)}`).join(' ');
    svg.append(node('polyline', { points, fill: 'none', stroke: COLOURS[k % COLOURS.length], 'stroke-width': 2, 'data-channel': s.channel }));
  });
  return svg;
}

export function legend(series) {
  const div = document.createElement('div');
  div.className = 'legend';
  series.forEach((s, k) => {
    const span = document.createElement('span');
    const swatch = document.createElement('i');
    swatch.style.background = COLOURS[k % COLOURS.length];
    span.append(swatch, document.createTextNode(s.channel));
    div.append(span);
  });
  return div;
}
