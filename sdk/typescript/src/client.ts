// A small fetch client of the qbconnect API: one method per operation of
// the OpenAPI document, named by its operationId (listInvoices,
// createCustomer, runQbxml...), typed by the types openapi-typescript
// generates (schema.gen.ts). Success answers resolve; error answers reject
// with an ApiError carrying the API's error shape.

import type { components, operations as Operations } from "./schema.gen.js";
import { operations } from "./operations.gen.js";

/** The name of an operation, as its SDK method is named. */
export type OperationId = keyof typeof operations & keyof Operations;

type Op<K extends OperationId> = Operations[K];
type ParamsOf<K extends OperationId> = Op<K> extends { parameters: infer P } ? P : never;
type Part<P, N extends string> = P extends { [k in N]?: infer X } ? ([X] extends [never] ? undefined : X) : undefined;
type BodyOf<K extends OperationId> = Op<K> extends { requestBody?: infer R }
  ? R extends { content: infer C } ? C[keyof C] : undefined
  : undefined;
type ContentOf<R> = R extends { content: infer C } ? C[keyof C] : undefined;
type SuccessStatus = 200 | 201 | 202 | 204;

/** What an operation takes: its path, query and header parameters and its body. */
export type Args<K extends OperationId> = {
  path?: Part<ParamsOf<K>, "path">;
  query?: Part<ParamsOf<K>, "query">;
  headers?: Part<ParamsOf<K>, "header">;
  body?: BodyOf<K>;
};

/** A success answer: its status, its body and its headers. */
export type Result<K extends OperationId> = {
  [S in keyof Op<K>["responses"] & SuccessStatus]: { status: S; body: ContentOf<Op<K>["responses"][S]>; headers: Headers };
}[keyof Op<K>["responses"] & SuccessStatus];

/** The error shape every error answer carries. */
export type ErrorBody = components["schemas"]["Error"]["error"];

/** An error answer of the API. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorBody["code"];
  readonly userMessage: string;
  readonly resolution: string;
  readonly requestId: string;
  readonly qbCode?: string;
  /** Seconds to wait before retrying (429, 503), when the answer says. */
  readonly retryAfter?: number;

  constructor(status: number, body: ErrorBody, headers: Headers) {
    super(`${status} ${body.code}: ${body.message}`);
    this.name = "ApiError";
    this.status = status;
    this.code = body.code;
    this.userMessage = body.userMessage;
    this.resolution = body.resolution;
    this.requestId = body.requestId;
    this.qbCode = body.qbCode;
    const ra = headers.get("Retry-After");
    this.retryAfter = ra === null ? undefined : Number(ra);
  }
}

/** How to reach the API. */
export interface ClientOptions {
  /** The server's address, such as "http://127.0.0.1:8080" (qbconnect demo prints it). */
  baseUrl: string;
  /** An organisation's API key (qbk_...). */
  apiKey?: string;
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch;
}

/** The API's operations as methods. */
export type Methods = { [K in OperationId]: (args?: Args<K>) => Promise<Result<K>> };

/** Client calls the API; every operation is also a method of its own. */
export class Client {
  private readonly base: string;
  private readonly apiKey?: string;
  private readonly fetchFn: typeof fetch;

  constructor(opts: ClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, "");
    this.apiKey = opts.apiKey;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
  }

  /** Calls the operation id. */
  async call<K extends OperationId>(id: K, args: Args<K> = {}): Promise<Result<K>> {
    const op = operations[id];
    const pathParams = (args.path ?? {}) as Record<string, string>;
    let path: string = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const v = pathParams[name];
      if (v === undefined) throw new TypeError(`${id}: path parameter ${name} is missing`);
      return encodeURIComponent(v);
    });
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries((args.query ?? {}) as Record<string, unknown>)) {
      if (v !== undefined) query.set(k, String(v));
    }
    if ([...query].length > 0) path += "?" + query.toString();
    const headers = new Headers();
    for (const [k, v] of Object.entries((args.headers ?? {}) as Record<string, unknown>)) {
      if (v !== undefined) headers.set(k, String(v));
    }
    if (this.apiKey) headers.set("Authorization", `Bearer ${this.apiKey}`);
    let body: string | undefined;
    if (args.body !== undefined && op.body !== "") {
      headers.set("Content-Type", op.body);
      body = op.body === "application/json" ? JSON.stringify(args.body) : String(args.body);
    }
    const resp = await this.fetchFn(this.base + path, { method: op.method, headers, body });
    const type = resp.headers.get("Content-Type") ?? "";
    const parsed: unknown = resp.status === 204 ? undefined : type.includes("json") ? await resp.json() : await resp.text();
    if (!resp.ok) {
      const err = (parsed as { error?: ErrorBody } | undefined)?.error;
      if (err) throw new ApiError(resp.status, err, resp.headers);
      throw new Error(`${op.method} ${path}: ${resp.status} ${String(parsed).slice(0, 200)}`);
    }
    return { status: resp.status, body: parsed, headers: resp.headers } as Result<K>;
  }
}

/** Returns a client whose operations are methods: sdk.listInvoices({ path: { companyId } }). */
export function createClient(opts: ClientOptions): Client & Methods {
  const c = new Client(opts);
  const methods: Record<string, unknown> = {};
  for (const id of Object.keys(operations) as OperationId[]) {
    methods[id] = (args?: Args<typeof id>) => c.call(id, args);
  }
  return Object.assign(c, methods) as unknown as Client & Methods;
}
