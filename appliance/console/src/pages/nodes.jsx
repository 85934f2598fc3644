import { api, can, enc } from '../api.js';
import { useApi, Card, Table, Badge, stateKind, ErrorNote, Loading, Action } from '../ui.jsx';

export function Nodes() {
  const cl = useApi('/nodes', 4000);
  const c = cl.data;
  return (
    <Card title="Nodes">
      <ErrorNote error={cl.error} />
      {!c ? <Loading what="the nodes" /> : (
        <Table label="Nodes" rows={c.nodes || []} rowKey={(n) => n.name} cols={[
          { title: 'Name', key: 'name' },
          { title: 'State', render: (n) => <Badge kind={stateKind(n.state)}>{n.state}</Badge> },
          { title: 'Role', render: (n) => (c.master === n.name ? 'master' : '') },
          { title: 'Addresses', render: (n) => [n.address, n.address2].filter(Boolean).join(', ') },
          { title: 'Links', key: 'links' },
          { title: 'Fencing', render: (n) => `${n.fence || 'none'}${n.fenced ? ` (fenced ${n.fenced})` : ''}` },
          { title: 'Maintenance', render: (n) => (n.maintenance ? <Badge kind="warn">maintenance</Badge> : 'no') },
          ...(can('operate') ? [{ title: '', render: (n) => (
            <>
              <Action label="Evacuate" kind="danger" confirm={`Move every virtual server off ${n.name}?`} run={() => api.post(`/nodes/${enc(n.name)}/evacuate`)} onDone={cl.reload} />
              <Action label="Resume" run={() => api.post(`/nodes/${enc(n.name)}/resume`)} onDone={cl.reload} />
            </>
          ) }] : []),
        ]} />
      )}
    </Card>
  );
}
