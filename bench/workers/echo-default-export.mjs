// The echo task for piscina and tinypool (threads and tinypool's child_process runtime): a default export.
export default (payload) => payload;
