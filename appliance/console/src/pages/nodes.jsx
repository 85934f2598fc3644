import { api, can, enc } from '../api.js';
import { useApi, Card, Table, Badge, stateKind, ErrorNote, Loading, Action } from '../ui.jsx';

export function Nodes() {
  const cl = useApi('/nodes', 4000);
  const c = cl.data;
  const bal = useApi('/balance', 10000);
  const standby = (bal.data && bal.data.standby) || [];
  const admin = can('admin');
  const setStandby = (n, on) => api.post(`/nodes/${enc(n)}/standby`, { state: on ? 'on' : 'off' });
  return (
    <Card title="Nodes">
      <ErrorNote error={cl.error} />
      <ErrorNote error={bal.error} />
      {!c ? <Loading what="the nodes" /> : (
        <Table label="Nodes" rows={c.nodes || []} rowKey={(n) => n.name} cols={[
          { title: 'Name', key: 'name' },
          { title: 'State', render: (n) => <Badge kind={stateKind(n.state)}>{n.state}</Badge> },
          { title: 'Role', render: (n) => (c.master === n.name ? 'master' : '') },
          { title: 'Addresses', render: (n) => [n.address, n.address2].filter(Boolean).join(', ') },
          { title: 'Links', key: 'links' },
          { title: 'Fencing', render: (n) => `${n.fence || 'none'}${n.fenced ? ` (fenced ${n.fenced})` : ''}` },
          { title: 'Standby', render: (n) => (standby.includes(n.name) ? <Badge kind="neutral">standby</Badge> : 'no') },
          { title: 'Maintenance', render: (n) => (n.maintenance ? <Badge kind="warn">maintenance</Badge> : 'no') },
          ...(can('operate') ? [{ title: '', render: (n) => (
            <>
              <Action label="Evacuate" kind="danger" confirm={`Move every virtual server off ${n.name}?`} run={() => api.post(`/nodes/${enc(n.name)}/evacuate`)} onDone={cl.reload} />
              <Action label="Resume" run={() => api.post(`/nodes/${enc(n.name)}/resume`)} onDone={cl.reload} />
              {admin ? (standby.includes(n.name)
                ? <Action label="Standby off" name={`standby-off-${n.name}`} run={() => setStandby(n.name, false)} onDone={bal.reload} />
                : <Action label="Standby on" name={`standby-on-${n.name}`} confirm={`Make ${n.name} a standby node? It then takes virtual servers only when the others are loaded.`} run={() => setStandby(n.name, true)} onDone={bal.reload} />) : null}
            </>
          ) }] : []),
        ]} />
      )}
    </Card>
  );
}
