export * from './auth.js';
export * from './errors.js';
export * from './feature-store-port.js';
export * from './features.js';
export * from './ingest.js';
export * from './ports.js';
export * from './registry.js';
export * from './registry-rules.js';
