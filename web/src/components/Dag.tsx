/** The run's plan as a live graph: one node per task, coloured by status; click selects a task. */
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo } from 'react';
import { describeBlocked, STATUS_COLOURS } from '../format';
import { layeredLayout, NODE_HEIGHT, NODE_WIDTH } from '../layout';
import type { TaskView } from '../types';

type TaskNode = Node<{ task: TaskView; selected: boolean }, 'task'>;

function hoverText(t: TaskView): string {
  const lines = [`${t.id}: ${t.status}`];
  if (t.title !== t.id) lines.push(t.title);
  if (t.blockedReason) lines.push(`why: ${describeBlocked(t.blockedReason)}`);
  lines.push(`${t.attempts.length} attempt${t.attempts.length === 1 ? '' : 's'}`);
  for (const a of t.attempts.slice(-5)) lines.push(`  #${a.n} ${a.agentId} ${a.status}${a.error ? `: ${a.error.message}` : ''}`);
  return lines.join('\n');
}

function TaskNodeView({ data }: NodeProps<TaskNode>) {
  const t = data.task;
  const colour = STATUS_COLOURS[t.status] ?? '#9ca3af';
  return (
    <div
      className={`dag-node status-${t.status}${data.selected ? ' selected' : ''}`}
      data-testid={`node-${t.id}`}
      data-status={t.status}
      title={hoverText(t)}
      style={{ width: NODE_WIDTH, height: NODE_HEIGHT, borderColor: colour, background: `${colour}22` }}
    >
      <Handle type="target" position={Position.Left} />
      <div className="dag-node-title">{t.title}</div>
      <div className="dag-node-meta">
        <span className="dot" style={{ background: colour }} />
        {t.status.replace('_', ' ')}
        {t.attempts.length > 0 && <span className="dag-node-attempts"> · {t.attempts.length}×</span>}
      </div>
      {t.blockedReason && t.status !== 'pending' && <div className="dag-node-why">{describeBlocked(t.blockedReason)}</div>}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

const nodeTypes = { task: TaskNodeView };

// Fixed sizes: nodes are rebuilt on every update, and a node without known dimensions stays
// hidden until React Flow measures it again.
export function Dag({ tasks, selected, onSelect }: { tasks: TaskView[]; selected: string | null; onSelect(id: string): void }) {
  const shape = tasks.map((t) => `${t.id}<${t.dependsOn.join(',')}`).join(';');
  // Positions depend only on the graph's shape, not on statuses.
  const positions = useMemo(() => layeredLayout(tasks), [shape]);
  const nodes: TaskNode[] = tasks.map((t) => ({ id: t.id, type: 'task', position: positions.get(t.id) ?? { x: 0, y: 0 }, data: { task: t, selected: t.id === selected }, draggable: false, width: NODE_WIDTH, height: NODE_HEIGHT }));
  const edges: Edge[] = tasks.flatMap((t) =>
    t.dependsOn.map((d) => ({ id: `${d}->${t.id}`, source: d, target: t.id, animated: t.status === 'running', style: { stroke: '#94a3b8' } })),
  );
  return (
    <div className="dag" data-testid="dag">
      <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} fitView minZoom={0.05} nodesConnectable={false} onNodeClick={(_e, n) => onSelect(n.id)} proOptions={{ hideAttribution: true }}>
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
