// Virtual servers: the list, create; one VS's detail with start, stop, migrate,
// edit and delete (confirmed), its VIPs, file systems, NFS exports and SMB shares.
import { api, can, enc } from '../api.js';
import { useApi, Card, Table, Badge, stateKind, ErrorNote, Loading, Action, Form, clean } from '../ui.jsx';

export function VServers() {
  const vs = useApi('/vservers', 4000);
  const nodes = useApi('/nodes');
  const names = ((nodes.data && nodes.data.nodes) || []).map((n) => n.name);
  return (
    <>
      {can('admin') ? (
        <Card title="Create a virtual server">
          <Form id="vs-create" label="Create" fields={[
            { name: 'name', label: 'Name', required: true, placeholder: 'vs1', help: '1 to 31 letters, digits, _ or -, a letter first' },
            { name: 'home', label: 'Home node', options: names },
            { name: 'priority', label: 'Priority (0-100)', type: 'number' },
            { name: 'pinned', label: 'Pinned to its home', type: 'checkbox' },
          ]} submit={(v) => api.post('/vservers', clean(v, ['priority']))}
            onDone={(r, v) => { vs.reload(); location.hash = `#/vservers/${enc(v.name)}`; }} />
        </Card>
      ) : null}
      <Card title="Virtual servers">
        <ErrorNote error={vs.error} />
        {!vs.data ? <Loading what="the virtual servers" /> : (
          <Table label="Virtual servers" rows={vs.data} rowKey={(v) => v.name} empty="No virtual server yet." cols={[
            { title: 'Name', render: (v) => <a href={`#/vservers/${enc(v.name)}`}>{v.name}</a> },
            { title: 'State', render: (v) => <Badge kind={stateKind(v.runtime ? v.runtime.state : v.admin)}>{v.runtime ? v.runtime.state : v.admin}</Badge> },
            { title: 'Node', render: (v) => (v.runtime && v.runtime.node) || '—' },
            { title: 'Home', render: (v) => v.home || '—' },
            { title: 'VIPs', render: (v) => (v.vips || []).map((x) => x.cidr).join(', ') },
            { title: 'Priority', key: 'priority' },
          ]} />
        )}
      </Card>
    </>
  );
}

export function VServer({ name }) {
  const p = `/vservers/${enc(name)}`;
  const vs = useApi(p, 3000);
  const nodes = useApi('/nodes');
  const luns = useApi('/luns');
  const ports = useApi('/ports');
  const v = vs.data;
  const reload = () => vs.reload();
  if (!v) return <>{vs.error ? <ErrorNote error={vs.error} /> : <Loading what={name} />}<p><a href="#/vservers">All virtual servers</a></p></>;
  const rt = v.runtime || {};
  const others = ((nodes.data && nodes.data.nodes) || []).map((n) => n.name).filter((n) => n !== rt.node);
  const lunNames = (luns.data || []).map((l) => (l.label ? `LABEL=${l.label}` : l.device));
  const portNames = [...new Set((ports.data || []).map((x) => x.name))];
  const fsNames = (v.filesystems || []).map((f) => f.name);
  const admin = can('admin');
  const operate = can('operate');
  return (
    <div class="grid">
      <Card title="State" actions={operate ? (
        <>
          <Action label="Start" name="start" run={() => api.post(`${p}/start`)} onDone={reload} disabled={v.admin === 'running'} />
          <Action label="Stop" name="stop" kind="danger" confirm={`Stop ${v.name}? Its clients lose it until it is started again.`}
            run={() => api.post(`${p}/stop`)} onDone={reload} disabled={v.admin !== 'running'} />
        </>
      ) : null}>
        <ErrorNote error={vs.error} />
        <dl class="facts">
          <dt>State</dt><dd><Badge kind={stateKind(rt.state || v.admin)}>{rt.state || v.admin}</Badge> {rt.reason ? <span class="muted">{rt.reason}</span> : null}</dd>
          <dt>Wanted</dt><dd>{v.admin}</dd>
          <dt>Node</dt><dd data-testid="vs-node">{rt.node || '—'}</dd>
          <dt>Home</dt><dd>{v.home || '—'}{v.pinned ? ' (pinned)' : ''}</dd>
          <dt>Priority</dt><dd>{v.priority}</dd>
          <dt>Auto revert</dt><dd>{v.auto_revert ? 'yes' : 'no'}</dd>
          <dt>Servers</dt><dd>{Object.entries(rt.servers || {}).filter(([, s]) => s.pid || s.serving).map(([k, s]) => <Badge kind={s.serving ? 'ok' : 'bad'}>{k}</Badge>)}</dd>
        </dl>
      </Card>
      {operate ? (
        <Card title="Migrate">
          <Form id="vs-migrate" label="Migrate" fields={[{ name: 'to', label: 'To node', options: others, required: true }]}
            submit={(x) => api.post(`${p}/migrate`, { to: x.to })} onDone={reload} />
          <Action label="Back to its home node" name="home" run={() => api.post(`${p}/migrate`, { home: true })} onDone={reload} />
        </Card>
      ) : null}
      <Card title="Virtual IPs">
        <Table label="Virtual IPs" rows={v.vips || []} empty="No virtual IP." cols={[
          { title: 'Address', key: 'cidr' },
          { title: 'Home port', key: 'home_port' },
          { title: 'Group', render: (x) => x.group || '—' },
          { title: 'Up', render: (x) => { const r = (rt.vips || []).find((y) => y.address === x.address); return r ? <Badge kind={r.up ? 'ok' : 'bad'}>{r.up ? `up on ${r.port}` : 'down'}</Badge> : '—'; } },
          ...(admin ? [{ title: '', render: (x) => <Action label="Remove" kind="danger" confirm={`Remove ${x.cidr} from ${v.name}?`} run={() => api.del(`${p}/vips/${enc(x.address)}`)} onDone={reload} /> }] : []),
        ]} />
        {admin ? <Form id="vip-add" label="Add VIP" fields={[
          { name: 'address', label: 'Address/prefix', required: true, placeholder: '192.0.2.51/24' },
          { name: 'home_port', label: 'Home port', options: portNames, required: true },
        ]} submit={(x) => api.post(`${p}/vips`, clean(x))} onDone={reload} /> : null}
      </Card>
      <Card title="File systems">
        <Table label="File systems" rows={v.filesystems || []} empty="No file system." cols={[
          { title: 'Name', key: 'name' },
          { title: 'LUN', key: 'lun' },
          { title: 'Mounted', render: (f) => { const r = (rt.filesystems || []).find((y) => y.name === f.name); return r ? <Badge kind={r.mounted ? 'ok' : 'bad'}>{r.mounted ? `${r.probe}` : 'no'}</Badge> : '—'; } },
          ...(admin ? [{ title: '', render: (f) => <Action label="Remove" kind="danger" confirm={`Remove the file system ${f.name}?`} run={() => api.del(`${p}/filesystems/${enc(f.name)}`)} onDone={reload} /> }] : []),
        ]} />
        {admin ? <Form id="fs-add" label="Add file system" fields={[
          { name: 'fs', label: 'File system name', required: true, placeholder: 'data' },
          { name: 'lun', label: 'LUN', options: lunNames, required: true },
        ]} submit={(x) => api.post(`${p}/filesystems`, clean(x))} onDone={reload} /> : null}
      </Card>
      <Card title="NFS exports">
        <Table label="NFS exports" rows={v.exports || []} empty="No NFS export." cols={[
          { title: 'Path', key: 'pseudo' },
          { title: 'File system', key: 'fs' },
          { title: 'Clients', render: (x) => x.clients || 'any' },
          { title: 'Access', render: (x) => (x.ro ? 'read-only' : 'read-write') },
          ...(admin ? [{ title: '', render: (x) => <Action label="Remove" kind="danger" confirm={`Remove the export ${x.pseudo}?`} run={() => api.del(`${p}/exports/${x.pseudo.replace(/^\//, '').split('/').map(enc).join('/')}`)} onDone={reload} /> }] : []),
        ]} />
        {admin ? <Form id="export-add" label="Add export" fields={[
          { name: 'pseudo', label: 'NFSv4 path', required: true, placeholder: '/data' },
          { name: 'fs', label: 'Export file system', options: fsNames, required: true },
          { name: 'clients', label: 'Clients (CIDR)', placeholder: 'any' },
          { name: 'ro', label: 'Read-only', type: 'checkbox' },
        ]} submit={(x) => api.post(`${p}/exports`, clean(x))} onDone={reload} /> : null}
      </Card>
      <Card title="SMB shares">
        <Table label="SMB shares" rows={v.shares || []} empty="No SMB share." cols={[
          { title: 'Share', key: 'name' },
          { title: 'File system', key: 'fs' },
          { title: 'Access', render: (x) => (x.ro ? 'read-only' : 'read-write') },
          ...(admin ? [{ title: '', render: (x) => <Action label="Remove" kind="danger" confirm={`Remove the share ${x.name}?`} run={() => api.del(`${p}/shares/${enc(x.name)}`)} onDone={reload} /> }] : []),
        ]} />
        {admin ? <Form id="share-add" label="Add share" fields={[
          { name: 'share', label: 'Share name', required: true, placeholder: 'data' },
          { name: 'fs', label: 'Share file system', options: fsNames, required: true },
          { name: 'ro', label: 'Read-only share', type: 'checkbox' },
        ]} submit={(x) => api.post(`${p}/shares`, clean(x))} onDone={reload} /> : null}
      </Card>
      {admin ? (
        <Card title="Settings">
          <Form id="vs-edit" label="Save settings" initial={{ auto_revert: v.auto_revert }} fields={[
            { name: 'auto_revert', label: 'Return to its home node by itself', type: 'checkbox' },
            { name: 'nfs_lease', label: 'NFS lease (s)', type: 'number' },
            { name: 'nfs_grace', label: 'NFS grace (s)', type: 'number' },
          ]} submit={(x) => api.patch(p, { ...clean(x, ['nfs_lease', 'nfs_grace']), auto_revert: !!x.auto_revert })} onDone={reload} />
          <p><a href={`#/users/${enc(v.name)}`}>Users and groups of {v.name}</a></p>
          <Action label="Delete" name="delete" kind="danger" confirm={`Delete the virtual server ${v.name}? Its configuration is gone for good (its data stays on its LUNs).`}
            run={() => api.del(p, v.admin === 'running' ? { force: true } : undefined)} onDone={() => { location.hash = '#/vservers'; }} />
        </Card>
      ) : null}
    </div>
  );
}
