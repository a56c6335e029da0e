// Module hooks for record-loads.mjs: report every resolved module URL to the main thread.
let port;
export function initialize(data) {
  port = data.port;
}
export async function resolve(specifier, context, nextResolve) {
  const r = await nextResolve(specifier, context);
  port?.postMessage(r.url);
  return r;
}
