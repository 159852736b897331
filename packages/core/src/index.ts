export * from './auth.js';
export * from './errors.js';
export * from './features.js';
export * from './ports.js';
