import { useApi, Card, Table, Badge, stateKind, ErrorNote, Loading } from '../ui.jsx';
import { enc } from '../api.js';

export function Luns() {
  const l = useApi('/luns', 5000);
  return (
    <Card title="LUNs and who sees them">
      <ErrorNote error={l.error} />
      {!l.data ? <Loading what="the LUNs" /> : (
        <Table label="LUNs" rows={l.data} empty="No LUN is seen." cols={[
          { title: 'LUN', render: (x) => (x.label ? `LABEL=${x.label}` : x.device) },
          { title: 'Device', key: 'device' },
          { title: 'Type', key: 'type' },
          { title: 'State', render: (x) => <Badge kind={stateKind(x.state)}>{x.state}</Badge> },
          { title: 'Used by', render: (x) => (x.vserver ? <a href={`#/vservers/${enc(x.vserver)}`}>{x.vserver}</a> : '—') },
          { title: 'Seen by', render: (x) => (x.nodes || []).join(', ') },
          { title: 'Missing on', render: (x) => ((x.missing || []).length ? <Badge kind="bad">{x.missing.join(', ')}</Badge> : '—') },
          { title: 'MMP', render: (x) => (x.mmp ? `on (${x.mmp_interval} s)` : 'off') },
        ]} />
      )}
    </Card>
  );
}
