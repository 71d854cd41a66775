// The echo task for poolifier's thread pool.
import { ThreadWorker } from 'poolifier';

export default new ThreadWorker((payload) => payload);
