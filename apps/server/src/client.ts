/*
 * `@aihub/server/client`, kept for existing callers: the typed client is the @aihub/client
 * package (Node.js and browser builds, bundled declarations, error guard, POST for large queries).
 */
export * from '@aihub/client';
export { undiciFetch } from '@aihub/client/undici';
