// Cluster health, quorum and master, nodes, which VS runs where, live load
// graphs (load.js's ring buffer) and the recent events.
import { useApi, Card, Badge, stateKind, ErrorNote, Loading, when, Action } from '../ui.jsx';
import { LoadChart } from '../chart.jsx';
import { api, can } from '../api.js';

// The join bundle (admins alone) saved as a file, for the next node's setup
// page: a node with no shell hands it on this way.
async function saveBundle() {
  const b = await api.get('/cluster/bundle');
  const url = URL.createObjectURL(new Blob([JSON.stringify(b)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${b.name}-join-bundle.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  return { message: `The join bundle of ${b.name} is saved: it holds the cluster key, keep it secret.` };
}

export function Dashboard() {
  const cl = useApi('/cluster', 5000);
  const vs = useApi('/vservers', 5000);
  const ev = useApi('/events?limit=10', 5000);
  const c = cl.data;
  const nodes = (c && c.nodes) || [];
  const members = nodes.filter((n) => n.state === 'member').length;
  const healthy = c && (!c.enabled || c.quorate) && members === nodes.length;
  const vss = vs.data || [];
  const where = (n) => vss.filter((v) => v.runtime && v.runtime.node === n);
  const nowhere = vss.filter((v) => !v.runtime || !v.runtime.node);
  return (
    <div class="grid">
      <Card title="Cluster" actions={c && c.enabled && can('admin') ? <Action label="Join bundle" name="bundle" run={saveBundle} /> : null}>
        <ErrorNote error={cl.error} />
        {!c ? <Loading what="the cluster" /> : (
          <dl class="facts">
            <dt>Health</dt><dd><Badge kind={healthy ? 'ok' : 'bad'}>{healthy ? 'healthy' : 'degraded'}</Badge></dd>
            <dt>Cluster</dt><dd>{c.enabled ? c.cluster : 'single node'}</dd>
            <dt>Quorum</dt><dd><Badge kind={c.quorate ? 'ok' : 'bad'}>{c.quorate ? 'quorate' : 'no quorum'}</Badge></dd>
            <dt>Master</dt><dd>{c.master || '—'}</dd>
            <dt>Members</dt><dd>{members} of {nodes.length}</dd>
            <dt>Virtual servers</dt><dd>{vss.length}</dd>
          </dl>
        )}
      </Card>
      <Card title="Where each virtual server runs">
        <ErrorNote error={vs.error} />
        <div class="vsmap">
          {nodes.map((n) => (
            <div class="vsmap-node" aria-label={`node ${n.name}`}>
              <h3>{n.name} <Badge kind={stateKind(n.maintenance ? 'maintenance' : n.state)}>{n.maintenance ? 'maintenance' : n.state}</Badge>
                {c.master === n.name ? <Badge kind="neutral">master</Badge> : null}</h3>
              <ul>
                {where(n.name).map((v) => (
                  <li><a href={`#/vservers/${encodeURIComponent(v.name)}`}>{v.name}</a> <Badge kind={stateKind(v.runtime.state)}>{v.runtime.state}</Badge></li>
                ))}
                {where(n.name).length ? null : <li class="muted">no virtual server</li>}
              </ul>
            </div>
          ))}
          {nowhere.length ? (
            <div class="vsmap-node" aria-label="not running">
              <h3>Not running</h3>
              <ul>{nowhere.map((v) => <li><a href={`#/vservers/${encodeURIComponent(v.name)}`}>{v.name}</a> <Badge kind="neutral">{(v.runtime && v.runtime.state) || v.admin}</Badge></li>)}</ul>
            </div>
          ) : null}
        </div>
      </Card>
      <Card title="Load">
        <div class="charts">
          <LoadChart kind="node" title="Node CPU" unit="% of cores" />
          <LoadChart kind="vs" title="Virtual server CPU" unit="% of a core" />
          <LoadChart kind="port" title="Port traffic" unit="Mbit/s" />
          <LoadChart kind="lun" title="LUN utilisation" unit="% busy" />
        </div>
      </Card>
      <Card title="Recent events" actions={<a href="#/events">All events</a>}>
        <ErrorNote error={ev.error} />
        <ul class="events">
          {(ev.data || []).slice(-10).reverse().map((e) => (
            <li><time>{when(e.ts_usec)}</time> <Badge kind={e.severity === 'info' ? 'neutral' : stateKind(e.severity)}>{e.severity}</Badge> <b>{e.vs || e.node}</b> {e.message}</li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
