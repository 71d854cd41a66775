// Draws the supervision tree as nested lists joined by lines (CSS draws the connectors); a leaf that is a worker
// becomes a card coloured by its state, with everything a person asks about a worker.
import { element, formatBytes, formatClock, formatDuration, morph } from './element.js';

/**
 * @typedef {{ id: string, strategy?: string, type?: string, children?: TreeNode[] }} TreeNode
 * @typedef {{ actions: boolean, cpuPercentOf?: (workerId: string) => number | undefined }} TreeOptions
 */

/**
 * One worker as a card; `actions` adds its kill button.
 * @param {any} worker a WorkerSnapshot
 * @param {string} poolName
 * @param {number} time the snapshot's wall time
 * @param {TreeOptions} options
 */
export function workerCard(worker, poolName, time, options) {
  const cpuPercent = options.cpuPercentOf?.(worker.id);
  const facts = [
    worker.pid !== undefined ? `pid ${worker.pid}` : undefined,
    worker.backendPid !== undefined ? `backend pid ${worker.backendPid}` : undefined,
    worker.threadId !== undefined ? `thread ${worker.threadId}` : undefined,
    `${worker.uses} ${worker.uses === 1 ? 'use' : 'uses'}`,
    `up ${formatDuration(worker.ageMs)}`,
    worker.memoryBytes !== undefined &&
      element(
        'span',
        { class: 'memory', title: worker.kind === 'thread' ? 'heap used by the thread' : 'resident memory' },
        formatBytes(worker.memoryBytes),
      ),
    cpuPercent !== undefined &&
      element(
        'span',
        { class: 'cpu', title: `CPU time ${formatDuration(worker.cpuMs)}` },
        `cpu ${Math.round(cpuPercent)}%`,
      ),
  ]
    .filter(Boolean)
    .flatMap((fact, index) => (index === 0 ? [fact] : [' · ', fact]));
  const since = worker.lease && formatClock(time - worker.lease.sinceMs);
  const lease = worker.lease && [
    element(
      'p',
      { class: 'lease', title: worker.lease.owner },
      element('span', { class: 'owner' }, worker.lease.owner),
    ),
    element('p', { class: 'held' }, `held ${formatDuration(worker.lease.sinceMs)} · since ${since}`),
  ];
  const kill =
    options.actions &&
    worker.state !== 'stopping' &&
    element(
      'button',
      {
        class: 'kill',
        type: 'button',
        title: `kill ${worker.id}: its supervisor replaces it`,
        'data-action': 'killWorker',
        'data-pool': poolName,
        'data-worker-id': worker.id,
      },
      'kill',
    );
  return element(
    'article',
    {
      class: 'worker',
      'data-worker-id': worker.id,
      'data-pool': poolName,
      'data-state': worker.state,
      tabindex: 0,
      title: `${worker.id}: click for its detail`,
    },
    element(
      'header',
      {},
      element('span', { class: 'state' }, worker.state),
      element('span', { class: 'worker-id' }, worker.id),
      worker.isOverflow &&
        element('span', { class: 'tag', title: 'started beyond size; goes after its cooldown' }, 'overflow'),
      kill,
    ),
    element('p', { class: 'facts' }, ...facts),
    ...(lease || []),
  );
}

/**
 * Render `snapshot.tree` into `container`; returns the ids of the workers it placed.
 * @param {HTMLElement} container
 * @param {any} snapshot a ToySnapshot
 * @param {TreeOptions} options
 * @returns {Set<string>}
 */
export function renderTree(container, snapshot, options) {
  /** @type {Map<string, { worker: any, pool: string }>} */
  const workers = new Map();
  /** @type {Map<string, any>} */
  const pools = new Map();
  for (const pool of snapshot.pools) {
    pools.set(pool.name, pool);
    for (const worker of pool.workers) workers.set(worker.id, { worker, pool: pool.name });
  }
  const placed = new Set();
  const tree = withUnlistedWorkers(snapshot.tree, pools);

  /** @param {TreeNode} node */
  const renderNode = (node) => {
    const found = workers.get(node.id);
    if (found && !node.children) {
      placed.add(node.id);
      return workerCard(found.worker, found.pool, snapshot.time, options);
    }
    const pool = pools.get(node.id);
    const isSupervisor = Array.isArray(node.children);
    const label = element(
      'div',
      { class: isSupervisor ? 'node supervisor' : 'node leaf', 'data-node-id': node.id },
      element('span', { class: 'node-id' }, node.id),
      node.strategy && element('span', { class: 'strategy' }, node.strategy),
      pool && element('span', { class: 'pool-state', 'data-pool-state': pool.status.state }, pool.status.state),
      node.id === 'registry' &&
        snapshot.registry.length > 0 &&
        element('span', { class: 'registry' }, snapshot.registry.join(', ')),
    );
    if (!isSupervisor || node.children.length === 0) return label;
    const workerChildren = node.children.filter((child) => workers.has(child.id) && !child.children);
    const otherChildren = node.children.filter((child) => !workerChildren.includes(child));
    const list = element('ul');
    // Workers sit side by side in one branch: a pool of twenty should not be twenty rows tall.
    if (workerChildren.length > 0) list.append(element('li', { class: 'workers' }, ...workerChildren.map(renderNode)));
    for (const child of otherChildren) list.append(element('li', {}, renderNode(child)));
    return element('div', { class: 'branch' }, label, list);
  };

  const root = element('div', { class: 'root' }, renderNode(tree));
  // Morphed, not replaced: snapshots come several times a second, and a replaced button loses a click.
  if (container.firstElementChild?.classList.contains('root')) morph(container.firstElementChild, root);
  else container.replaceChildren(root);
  return placed;
}

/**
 * The tree with each pool's starting and stopping workers added under its worker supervisor: a worker joins the
 * supervisor only once started, and leaves it as it stops, but the manager tracks it throughout.
 * @param {TreeNode} node
 * @param {Map<string, any>} pools
 * @returns {TreeNode}
 */
function withUnlistedWorkers(node, pools, pool) {
  if (!node.children) return node;
  const children = node.children.map((child) => withUnlistedWorkers(child, pools, pools.get(node.id)));
  if (!pool || node.id !== 'workers') return { ...node, children };
  const listed = new Set(children.map((child) => child.id));
  const unlisted = pool.workers
    .filter((worker) => !listed.has(worker.id))
    .map((worker) => ({ id: worker.id, type: 'worker' }));
  return { ...node, children: [...children, ...unlisted] };
}
