// The client-side ring buffer of load samples: GET /api/v1/load every
// POLL_MS while someone is logged in, the last KEEP samples kept (10 minutes),
// and a subscription for the charts. Each sample is flattened to series
// "node:n1", "vs:vs1", "port:n1/eth1", "lun:n1/LABEL=x" of one figure each.
import { api } from './api.js';

export const POLL_MS = 3000;
export const KEEP = 200;

const ring = [];
const subs = new Set();
let timer = null;

function flatten(load) {
  const f = { node: {}, vs: {}, port: {}, lun: {} };
  for (const n of (load && load.nodes) || []) {
    if (n.cores) f.node[n.node] = (100 * (n.cpu || 0)) / n.cores; // % of the node's cores
    for (const v of n.vs || []) f.vs[v.vs] = 100 * (v.cpu || 0); // % of one core
    for (const p of n.ports || []) f.port[`${n.node}/${p.port}`] = ((p.rx_bps || 0) + (p.tx_bps || 0)) * 8 / 1e6; // Mbit/s
    for (const l of n.luns || []) f.lun[`${n.node}/${l.lun}`] = 100 * (l.util || 0); // % busy
  }
  return f;
}

async function poll() {
  try {
    const load = await api.get('/load');
    ring.push({ t: Date.now() / 1000, f: flatten(load), raw: load });
    while (ring.length > KEEP) ring.shift();
    subs.forEach((fn) => fn(ring));
  } catch {
    /* a missed sample leaves a gap */
  }
}

export function startLoad() {
  if (timer) return;
  poll();
  timer = setInterval(poll, POLL_MS);
}

export function stopLoad() {
  clearInterval(timer);
  timer = null;
  ring.length = 0;
}

export function subscribe(fn) {
  subs.add(fn);
  fn(ring);
  return () => subs.delete(fn);
}

// uPlot's columns for one kind: [times, series...] and the series' names.
export function columns(kind) {
  const names = [...new Set(ring.flatMap((s) => Object.keys(s.f[kind])))].sort();
  const data = [ring.map((s) => s.t)];
  for (const n of names) data.push(ring.map((s) => (n in s.f[kind] ? s.f[kind][n] : null)));
  return { names, data };
}
