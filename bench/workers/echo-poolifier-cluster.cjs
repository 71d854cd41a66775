// The echo task for poolifier's cluster (child process) pool. CommonJS: with an ES module worker, poolifier 5.3's
// cluster pool never answers the first task (the worker is online, the task stays executing).
const { ClusterWorker } = require('poolifier');

module.exports = new ClusterWorker((payload) => payload);
