// The nodes' fence devices (secrets never shown: the API hides them, and the
// password field is never prefilled).
import { api, can, enc } from '../api.js';
import { useApi, Card, Table, ErrorNote, Loading, Action, Form } from '../ui.jsx';

export function Fencing() {
  const fd = useApi('/fencing', 10000);
  const cl = useApi('/nodes');
  const nodes = ((cl.data && cl.data.nodes) || []).map((n) => n.name);
  const admin = can('admin');
  return (
    <div class="grid">
      <Card title="Fence devices">
        <ErrorNote error={fd.error} />
        {!fd.data && !fd.error ? <Loading what="the fence devices" /> : (
          <Table label="Fence devices" rows={fd.data || []} rowKey={(f) => f.node} empty="No fence device: a node that stops answering cannot be powered off." cols={[
            { title: 'Node', key: 'node' },
            { title: 'Agent', key: 'agent' },
            { title: 'Options', render: (f) => <span class="wrap">{f.options || '—'}</span> },
            ...(can('operate') ? [{ title: '', render: (f) => (
              <>
                <Action label="Check" name={`check-${f.node}`} run={() => api.post(`/fencing/${enc(f.node)}/check`)} />
                {admin ? <Action label="Delete" name={`delete-${f.node}`} kind="danger" confirm={`Delete the fence device of ${f.node}? It could then not be powered off if it stops answering.`} run={() => api.del(`/fencing/${enc(f.node)}`)} onDone={fd.reload} /> : null}
              </>
            ) }] : []),
          ]} />
        )}
      </Card>
      {admin ? (
        <Card title="Set a fence device">
          <Form id="fence-set" label="Set fence device" fields={[
            { name: 'node', label: 'Node', required: true, options: nodes },
            { name: 'agent', label: 'Agent', required: true, placeholder: 'fence_ipmilan' },
            { name: 'options', label: 'Options (K=V,K=V)', placeholder: 'ip=192.0.2.10,username=admin', help: 'Do not put the password here: use the field below.' },
            { name: 'password', label: 'Password', type: 'password', help: 'Never shown again; leave empty for none.' },
          ]} submit={(x) => {
            const opts = [x.options, x.password ? `password=${x.password}` : ''].filter(Boolean).join(',');
            return api.put(`/fencing/${enc(x.node)}`, opts ? { agent: x.agent, options: opts } : { agent: x.agent });
          }} onDone={fd.reload} />
        </Card>
      ) : null}
    </div>
  );
}
