/**
 * The run's plan as a live graph: one node per task, coloured by status; click selects a task.
 * Past {@link LARGE_PLAN} tasks it opens as a list grouped by level (readable at any size), and the
 * graph, when chosen, opens zoomed on its first levels at a readable scale instead of fitting
 * every node into specks.
 */
import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo, useState } from 'react';
import { describeBlocked, STATUS_COLOURS } from '../format';
import { layeredLayout, levelsOf, NODE_HEIGHT, NODE_WIDTH } from '../layout';
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

/** Plans with more tasks than this open as the list by level. */
export const LARGE_PLAN = 100;
/** Nodes the initial zoom of a large graph fits (its first levels). */
const INITIAL_FIT_NODES = 24;

export function Dag({ tasks, selected, onSelect }: { tasks: TaskView[]; selected: string | null; onSelect(id: string): void }) {
  const [view, setView] = useState<'graph' | 'levels'>(tasks.length > LARGE_PLAN ? 'levels' : 'graph');
  return (
    <div className="dag" data-testid="dag" data-view={view}>
      <div className="dag-toolbar">
        <button className={view === 'graph' ? 'chip active' : 'chip'} data-testid="dag-view-graph" onClick={() => setView('graph')}>
          Graph
        </button>
        <button className={view === 'levels' ? 'chip active' : 'chip'} data-testid="dag-view-levels" onClick={() => setView('levels')}>
          By level
        </button>
        <span className="muted">{tasks.length} tasks</span>
      </div>
      {view === 'graph' ? <Graph tasks={tasks} selected={selected} onSelect={onSelect} /> : <Levels tasks={tasks} selected={selected} onSelect={onSelect} />}
    </div>
  );
}

// Fixed sizes: nodes are rebuilt on every update, and a node without known dimensions stays
// hidden until React Flow measures it again.
function Graph({ tasks, selected, onSelect }: { tasks: TaskView[]; selected: string | null; onSelect(id: string): void }) {
  const shape = tasks.map((t) => `${t.id}<${t.dependsOn.join(',')}`).join(';');
  // Positions depend only on the graph's shape, not on statuses.
  const positions = useMemo(() => layeredLayout(tasks), [shape]);
  const firstNodes = useMemo(() => {
    if (tasks.length <= LARGE_PLAN) return undefined;
    const { order } = levelsOf(tasks);
    return order.slice(0, INITIAL_FIT_NODES).map((id) => ({ id }));
  }, [shape]);
  const nodes: TaskNode[] = tasks.map((t) => ({ id: t.id, type: 'task', position: positions.get(t.id) ?? { x: 0, y: 0 }, data: { task: t, selected: t.id === selected }, draggable: false, width: NODE_WIDTH, height: NODE_HEIGHT }));
  const edges: Edge[] = tasks.flatMap((t) =>
    t.dependsOn.map((d) => ({ id: `${d}->${t.id}`, source: d, target: t.id, animated: t.status === 'running', style: { stroke: '#94a3b8' } })),
  );
  return (
    <div className="dag-canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={firstNodes ? { nodes: firstNodes, minZoom: 0.6, maxZoom: 1 } : { maxZoom: 1.2 }}
        minZoom={0.05}
        nodesConnectable={false}
        onNodeClick={(_e, n) => onSelect(n.id)}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

/** The tasks grouped by level (longest dependency chain before them), each a row of status-coloured chips. */
function Levels({ tasks, selected, onSelect }: { tasks: TaskView[]; selected: string | null; onSelect(id: string): void }) {
  const shape = tasks.map((t) => `${t.id}<${t.dependsOn.join(',')}`).join(';');
  const levels = useMemo(() => {
    const { depth, order } = levelsOf(tasks);
    const out: string[][] = [];
    for (const id of order) (out[depth.get(id) ?? 0] ??= []).push(id);
    return out;
  }, [shape]);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  return (
    <div className="dag-levels" data-testid="dag-levels">
      {levels.map((ids, level) => {
        const counts = new Map<string, number>();
        for (const id of ids) counts.set(byId.get(id)!.status, (counts.get(byId.get(id)!.status) ?? 0) + 1);
        return (
          <div key={level} className="dag-level" data-testid={`level-${level}`}>
            <div className="dag-level-head">
              <b>Level {level + 1}</b> <span className="muted">{ids.length} task{ids.length === 1 ? '' : 's'} · {[...counts].map(([s, n]) => `${n} ${s.replace('_', ' ')}`).join(' · ')}</span>
            </div>
            <div className="dag-level-tasks">
              {ids.map((id) => {
                const t = byId.get(id)!;
                const colour = STATUS_COLOURS[t.status] ?? '#9ca3af';
                return (
                  <button
                    key={id}
                    className={`task-chip${id === selected ? ' selected' : ''}`}
                    data-testid={`node-${id}`}
                    data-status={t.status}
                    title={hoverText(t)}
                    style={{ borderColor: colour, background: `${colour}22` }}
                    onClick={() => onSelect(id)}
                  >
                    <span className="dot" style={{ background: colour }} /> {t.title}
                  </button>
                );
              })}
            </div>
          </div>
        );
      })}
    </div>
  );
}
