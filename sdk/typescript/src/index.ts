export * from "./client.js";
export type { components, operations as Operations, paths, webhooks } from "./schema.gen.js";
export { operations } from "./operations.gen.js";
