// Runs the client against a live `qbconnect demo`: the binary named by
// QBCONNECT_BIN (go build -o ... ./cmd/qbconnect), started here with a
// fresh sample company and stopped at the end. Without QBCONNECT_BIN the
// tests are skipped, saying so.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

import { ApiError, createClient, type Client, type Methods } from "../src/index.js";

const bin = process.env.QBCONNECT_BIN;

/** Starts the demo and resolves with its address, API key and company. */
async function startDemo(path: string): Promise<{ proc: ChildProcess; baseUrl: string; apiKey: string; companyId: string }> {
  const proc = spawn(path, ["demo"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const found = new Promise<{ baseUrl: string; apiKey: string; companyId: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the demo printed no API address within 240 s:\n" + out)), 240_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const api = /REST API:\s+(\S+)\/v1/.exec(out);
      const key = /Demo API key:\s+(\S+)/.exec(out);
      const company = /\/v1\/companies\/([^/\s]+)\/customers/.exec(out);
      if (api && key && company) {
        clearTimeout(timer);
        resolve({ baseUrl: api[1], apiKey: key[1], companyId: company[1] });
      }
    };
    proc.stdout!.on("data", read);
    proc.stderr!.on("data", read);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before it was ready:\n${out}`));
    });
  });
  return { proc, ...(await found) };
}

describe("the TypeScript client against qbconnect demo", { skip: bin ? false : "QBCONNECT_BIN is not set" }, () => {
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let sdk: Client & Methods;

  before(async () => {
    demo = await startDemo(bin!);
    sdk = createClient({ baseUrl: demo.baseUrl, apiKey: demo.apiKey });
  });

  after(async () => {
    if (demo?.proc.exitCode === null) {
      const exited = once(demo.proc, "exit");
      demo.proc.kill("SIGINT");
      await exited;
    }
  });

  test("lists the demo company and its synced customers", async () => {
    const companies = await sdk.listCompanies({ query: { limit: 10 } });
    assert.equal(companies.status, 200);
    assert.ok(companies.body.data.some((c) => c.id === demo.companyId));

    const customers = await sdk.listCustomers({ path: { companyId: demo.companyId }, query: { limit: 3 } });
    assert.equal(customers.status, 200);
    assert.equal(customers.body.data.length, 3);
    const first = customers.body.data[0];
    assert.equal(typeof first.id, "string");
    assert.equal(typeof first.name, "string");
    const one = await sdk.getCustomer({ path: { companyId: demo.companyId, id: first.id } });
    assert.equal(one.body.id, first.id);
  });

  test("reads invoices with decimal amounts as strings", async () => {
    const page = await sdk.listInvoices({ path: { companyId: demo.companyId }, query: { limit: 5 } });
    assert.ok(page.body.data.length > 0);
    for (const inv of page.body.data) {
      assert.match(inv.txnId ?? "", /.+/);
      if (inv.subtotal !== undefined) assert.match(inv.subtotal, /^-?\d+(\.\d+)?$/);
    }
  });

  test("creates a customer in QuickBooks and waits for the write", async () => {
    const stamp = Date.now();
    const name = `SDK Customer ${stamp}`;
    const created = await sdk.createCustomer({
      path: { companyId: demo.companyId },
      query: { wait: "30s" },
      headers: { "Idempotency-Key": `sdk-test-${stamp}` },
      body: { name, companyName: "Typed Client Ltd" },
    });
    assert.equal(created.status, 200);
    assert.equal(created.body.status, "Success");
    assert.equal(created.body.record?.name, name);
    assert.match(created.headers.get("Location") ?? "", /^\/v1\/operations\//);
  });

  test("answers errors in the error shape", async () => {
    await assert.rejects(
      sdk.getInvoice({ path: { companyId: demo.companyId, id: "no-such-txn" } }),
      (err: unknown) => err instanceof ApiError && err.status === 404 && err.code === "not_found" && err.requestId !== "",
    );
    const anonymous = createClient({ baseUrl: demo.baseUrl });
    await assert.rejects(anonymous.listCompanies(), (err: unknown) => err instanceof ApiError && err.status === 401);
  });

  test("serves the document the client was generated from", async () => {
    const doc = await sdk.getOpenApiDocument();
    assert.equal(doc.status, 200);
    assert.equal((doc.body as { openapi?: string }).openapi, "3.1.0");
  });
});
