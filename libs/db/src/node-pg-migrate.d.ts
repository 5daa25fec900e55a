// node-pg-migrate 8 declares its types only through package.json "exports", which the workspace's
// `moduleResolution: node` does not read; point the bare specifier at the bundled declarations.
declare module 'node-pg-migrate' {
  export * from 'node-pg-migrate/dist/bundle/index';
}
