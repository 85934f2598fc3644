// VIPs of every VS, failover groups, and the ports with their health.
import { api, can, enc } from '../api.js';
import { useState } from 'preact/hooks';
import { useApi, Card, Table, Badge, stateKind, ErrorNote, Loading, Action, Form, clean, bytes } from '../ui.jsx';

// Move a VIP to another port of its failover group (vsadm vip migrate).
function MoveVip({ vip, groups, onDone }) {
  const g = (groups || []).find((x) => x.name === vip.group);
  const others = ((g && g.ports) || []).filter((pt) => pt !== vip.port);
  const [to, setTo] = useState('');
  if (!others.length) return null;
  const id = `vip-move-${vip.vs}-${vip.address}`.replace(/[^A-Za-z0-9_-]/g, '-');
  return (
    <span class="vip-move">
      <label for={id}>Move to</label>
      <select id={id} value={to} onChange={(e) => setTo(e.currentTarget.value)}>
        <option value="">Choose…</option>
        {others.map((pt) => <option value={pt}>{pt}</option>)}
      </select>
      <Action label="Move" name={`vip-move-${vip.address}`} disabled={!to}
        confirm={`Move ${vip.address} of ${vip.vs} to the port ${to}? Its clients may pause while it moves.`}
        run={() => api.post(`/vservers/${enc(vip.vs)}/vips/${enc(vip.address)}/migrate`, { port: to })}
        onDone={() => { setTo(''); onDone(); }} />
    </span>
  );
}

export function Network() {
  const vips = useApi('/vips', 4000);
  const fg = useApi('/fgroups', 10000);
  const ports = useApi('/ports', 4000);
  const admin = can('admin');
  return (
    <div class="grid">
      <Card title="Virtual IPs">
        <ErrorNote error={vips.error} />
        {!vips.data ? <Loading what="the virtual IPs" /> : (
          <Table label="Virtual IPs" rows={vips.data} empty="No virtual IP." cols={[
            { title: 'Address', render: (x) => `${x.address}/${x.prefix}` },
            { title: 'VS', render: (x) => <a href={`#/vservers/${enc(x.vs)}`}>{x.vs}</a> },
            { title: 'Port', render: (x) => `${x.port || '—'}${x.home_port && x.port !== x.home_port ? ` (home ${x.home_port})` : ''}` },
            { title: 'State', render: (x) => <Badge kind={stateKind(x.state)}>{x.state}</Badge> },
            { title: 'Why', render: (x) => x.why || '' },
            ...(can('operate') ? [{ title: '', render: (x) => (
              <>
                {x.state !== 'home' ? <Action label="Revert" run={() => api.post(`/vservers/${enc(x.vs)}/vips/${enc(x.address)}/revert`)} onDone={vips.reload} /> : null}
                <MoveVip vip={x} groups={fg.data} onDone={vips.reload} />
              </>
            ) }] : []),
          ]} />
        )}
      </Card>
      <Card title="Failover groups">
        <ErrorNote error={fg.error} />
        {!fg.data ? <Loading what="the failover groups" /> : (
          <Table label="Failover groups" rows={fg.data} empty="No failover group." cols={[
            { title: 'Name', key: 'name' },
            { title: 'Ports', render: (g) => (g.ports || []).join(', ') },
            { title: 'Probe', render: (g) => g.probe || '—' },
            ...(admin ? [{ title: '', render: (g) => <Action label="Delete" kind="danger" confirm={`Delete the failover group ${g.name}?`} run={() => api.del(`/fgroups/${enc(g.name)}`)} onDone={fg.reload} /> }] : []),
          ]} />
        )}
        {admin ? <Form id="fg-add" label="Create group" fields={[
          { name: 'name', label: 'Group name', required: true },
          { name: 'ports', label: 'Ports (comma-separated)', required: true, placeholder: 'eth1,eth2' },
          { name: 'probe', label: 'Probe address', placeholder: '192.0.2.1' },
        ]} submit={(x) => api.post('/fgroups', { ...clean(x), ports: x.ports.split(',').map((s) => s.trim()).filter(Boolean) })} onDone={fg.reload} /> : null}
      </Card>
      <Card title="Ports">
        <ErrorNote error={ports.error} />
        {!ports.data ? <Loading what="the ports" /> : (
          <Table label="Ports" rows={ports.data} cols={[
            { title: 'Port', render: (x) => (x.node ? `${x.node}/${x.name}` : x.name) },
            { title: 'Health', render: (x) => <Badge kind={stateKind(x.health)}>{x.health}</Badge> },
            { title: 'Link', render: (x) => (x.present ? (x.carrier ? 'carrier' : 'no carrier') : 'absent') },
            { title: 'Probe', key: 'probe' },
            { title: 'Changes (60 s)', key: 'changes_60s' },
            { title: 'VIPs', key: 'vips' },
            { title: 'Traffic', render: (x) => `${bytes(x.traffic_bps)}/s` },
          ]} />
        )}
      </Card>
    </div>
  );
}
