/**
 * The most calls one batched tRPC request may carry; a larger batch is refused with 400. Without a
 * bound one unauthenticated request (600 × health.ready) could fan out into thousands of backend
 * calls. The typed client's batch link splits its batches at this size. (No imports: the client
 * bundle includes this file.)
 */
export const MAX_BATCH_SIZE = 100;
