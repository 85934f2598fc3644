import { useApi, Card, Table, Badge, stateKind, ErrorNote, Loading, when } from '../ui.jsx';
import { enc } from '../api.js';

export function Moves() {
  const m = useApi('/moves', 2000);
  const moves = (m.data && m.data.moves) || [];
  const open = moves.filter((x) => !['done', 'failed', 'aborted'].includes(x.state));
  const cols = [
    { title: 'Id', key: 'id' },
    { title: 'VS', render: (x) => <a href={`#/vservers/${enc(x.vs)}`}>{x.vs}</a> },
    { title: 'Kind', key: 'kind' },
    { title: 'State', render: (x) => <Badge kind={stateKind(x.state)}>{x.state}</Badge> },
    { title: 'From → to', render: (x) => `${x.from || '—'} → ${x.to || '—'}` },
    { title: 'Since', render: (x) => when(x.steps && x.steps.length ? x.steps[0].at_usec : 0) },
    { title: 'Reason', key: 'reason' },
  ];
  return (
    <div class="grid">
      <Card title="In progress">
        <ErrorNote error={m.error} />
        {!m.data ? <Loading what="the moves" /> : <Table label="Moves in progress" rows={open} empty="No move in progress." cols={cols} />}
      </Card>
      <Card title="Recent moves">
        <Table label="Recent moves" rows={moves.slice().reverse().slice(0, 50)} cols={cols} />
      </Card>
    </div>
  );
}
