import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { HTTP_STATUS } from "../errors.ts";
import { listGrantsQuerySchema } from "../grants/schema.ts";
import { listSessionEventsQuerySchema } from "../recording/schema.ts";
import { buildOpenApiDocument, ERROR_DESCRIPTIONS, type OpenApiDocument, openApiDocument } from "./openapi.ts";
import { API_ROUTES, type ApiRoute } from "./routes.ts";

// The document against the route files: every route documented, nothing documented that is not
// served, and what the files parse with is what the document was generated from.

const ROOT = path.resolve(import.meta.dirname, "../..");
const API_DIR = path.join(ROOT, "app/api/v1");
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
const EXPORTED_METHOD = /^export\s+(?:const\s+|(?:async\s+)?function\s+)(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b/gm;

interface RouteFile {
  file: string;
  /** The OpenAPI path: /api/v1/grants/{id}/revoke. */
  path: string;
  source: string;
  /** Each exported method (lowercase) with its part of the source, up to the next exported method. */
  methods: Map<string, string>;
}

/** Every route.ts under app/api/v1, except private folders (_lib) and catch-alls ([...unknown]). */
function routeFiles(dir = API_DIR, urlPath = "/api/v1"): RouteFile[] {
  const found: RouteFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith("_") || entry.name.startsWith("[...") || entry.name.startsWith("[[...")) continue;
      if (/^\(.*\)$/.test(entry.name))
        found.push(...routeFiles(full, urlPath)); // route group: not in the URL
      else found.push(...routeFiles(full, `${urlPath}/${entry.name.replace(/^\[(.+)\]$/, "{$1}")}`));
    } else if (entry.name === "route.ts") {
      const source = readFileSync(full, "utf8");
      const matches = [...source.matchAll(EXPORTED_METHOD)];
      const methods = new Map(
        matches.map((match, index) => [match[1]!.toLowerCase(), source.slice(match.index, matches[index + 1]?.index ?? source.length)]),
      );
      found.push({ file: path.relative(ROOT, full), path: urlPath, source, methods });
    }
  }
  return found;
}

/** Resolves a name imported by a route file to the value its module exports. */
async function importedValue(file: RouteFile, name: string): Promise<unknown> {
  for (const match of file.source.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    for (const part of match[1]!.split(",")) {
      const [exported, local = exported] = part
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/);
      if (local !== name || !exported) continue;
      const spec = match[2]!;
      const base = spec.startsWith("@/") ? path.join(ROOT, spec.slice(2)) : path.resolve(path.dirname(path.join(ROOT, file.file)), spec);
      const module = (await import(base.endsWith(".ts") ? base : `${base}.ts`)) as Record<string, unknown>;
      return module[exported];
    }
  }
  throw new Error(`${file.file}: ${name} is not imported; parse with a schema exported from lib/<area>/schema.ts`);
}

function operations(document: OpenApiDocument): Array<{ key: string; operation: Record<string, unknown> }> {
  return Object.entries(document.paths ?? {}).flatMap(([urlPath, item]) =>
    HTTP_METHODS.filter((method) => item?.[method]).map((method) => ({
      key: `${method.toUpperCase()} ${urlPath}`,
      operation: item[method] as unknown as Record<string, unknown>,
    })),
  );
}

function resolvePointer(document: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = document;
  for (const token of ref.slice(2).split("/")) {
    const key = decodeURIComponent(token).replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function refsIn(node: unknown, at = "#"): Array<{ at: string; ref: string }> {
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === "$ref" && typeof value === "string" ? [{ at, ref: value }] : refsIn(value, `${at}/${key}`),
  );
}

const files = routeFiles();
const document = openApiDocument();
const byKey = new Map(API_ROUTES.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route]));

describe("the OpenAPI document and the route files", () => {
  it("finds the route files", () => {
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) expect(file.methods.size, `${file.file} exports no HTTP method this test can see`).toBeGreaterThan(0);
  });

  it("documents every route and method that app/api/v1 serves", () => {
    const documented = new Set(operations(document).map(({ key }) => key));
    // A HEAD handler answers a documented GET with its headers only (HTTP semantics): GET documents it.
    const served = files.flatMap((file) =>
      [...file.methods.keys()]
        .filter((method) => !(method === "head" && file.methods.has("get")))
        .map((method) => `${method.toUpperCase()} ${file.path}`),
    );
    expect(served.filter((key) => !documented.has(key)).sort(), "served but not in lib/api/routes.ts").toEqual([]);
  });

  it("documents nothing that no route file serves", () => {
    const served = new Set(files.flatMap((file) => [...file.methods.keys()].map((method) => `${method.toUpperCase()} ${file.path}`)));
    const documented = operations(document).map(({ key }) => key);
    expect(documented.filter((key) => !served.has(key)).sort(), "documented but not served").toEqual([]);
  });

  it("documents the schemas the routes parse with, the status they answer with and their no-store", async () => {
    const problems: string[] = [];
    for (const file of files) {
      for (const [method, source] of file.methods) {
        const key = `${method.toUpperCase()} ${file.path}`;
        const route = byKey.get(key);
        if (!route) continue; // reported above
        if (/searchParams/.test(source) && !/readQuery\(/.test(source)) {
          problems.push(`${key}: reads the query string without readQuery, so the document cannot show it`);
        }
        for (const [reader, field] of [
          ["readJson", "body"],
          ["readQuery", "query"],
        ] as const) {
          const name = new RegExp(`${reader}\\(\\s*request\\s*,\\s*(\\w+)\\s*\\)`).exec(source)?.[1];
          const documented: z.ZodType | undefined = route[field];
          if (name) {
            if ((await importedValue(file, name)) !== documented) {
              problems.push(`${key}: ${reader}(request, ${name}) but lib/api/routes.ts documents another ${field} schema`);
            }
          } else if (documented && /\bhandle\b/.test(source)) {
            problems.push(`${key}: lib/api/routes.ts documents a ${field} the route does not read with ${reader}`);
          }
        }
        if (/\bhandle\b/.test(source)) {
          // handle()'s options: the status and headers of the success response.
          const status = Number(/\bstatus:\s*(\d{3})/.exec(source)?.[1] ?? 200);
          if (status !== (route.status ?? 200)) problems.push(`${key}: answers ${status}, documented ${route.status ?? 200}`);
          if (/no-store/.test(source) !== Boolean(route.noStore)) problems.push(`${key}: Cache-Control no-store differs`);
        }
        // A per-user limit (stream-limit.ts, or handle()'s perUser) answers 429: the document says so.
        const limited = /acquireStream\(|perUser:/.test(file.source);
        if (limited !== (route.errors?.includes("TOO_MANY_STREAMS") ?? false)) {
          problems.push(`${key}: ${limited ? "has a per-user limit (429) but does not document" : "documents"} TOO_MANY_STREAMS`);
        }
        const permission = /\bpermission:\s*"([^"]+)"/.exec(source)?.[1];
        if (permission && permission !== route.permission) {
          problems.push(`${key}: requires ${permission}, documented ${route.permission ?? "none"}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("the OpenAPI document is valid OpenAPI 3.1", () => {
  it("is OpenAPI 3.1 with an info object and plain JSON", () => {
    expect(document.openapi).toBe("3.1.0");
    expect(document.info.title).toBeTruthy();
    expect(document.info.version).toBeTruthy();
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });

  it("resolves every $ref inside the document", () => {
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter(({ ref }) => resolvePointer(document, ref) === undefined)).toEqual([]);
  });

  it("gives every operation a unique operationId, declared tags and security, and described responses", () => {
    const tags = new Set((document.tags ?? []).map((tag) => tag.name));
    const schemes = new Set(Object.keys(document.components?.securitySchemes ?? {}));
    const seen = new Set<string>();
    for (const { key, operation } of operations(document)) {
      const operationId = operation.operationId;
      expect(typeof operationId === "string" && operationId.length > 0, `${key}: operationId`).toBe(true);
      expect(seen.has(operationId as string), `${key}: operationId ${String(operationId)} repeats`).toBe(false);
      seen.add(operationId as string);
      for (const tag of operation.tags as string[]) expect(tags.has(tag), `${key}: tag ${tag} is not declared`).toBe(true);
      for (const requirement of (operation.security as Array<Record<string, string[]>> | undefined) ?? []) {
        for (const name of Object.keys(requirement)) expect(schemes.has(name), `${key}: security ${name}`).toBe(true);
      }
      const responses = operation.responses as Record<string, Record<string, unknown>>;
      expect(
        Object.keys(responses).some((status) => /^2\d\d$/.test(status)),
        `${key}: a success response`,
      ).toBe(true);
      for (const [status, response] of Object.entries(responses)) {
        expect(/^[1-5]\d\d$|^default$/.test(status), `${key}: status ${status}`).toBe(true);
        const resolved = (typeof response.$ref === "string" ? resolvePointer(document, response.$ref) : response) as Record<
          string,
          unknown
        >;
        expect(typeof resolved?.description, `${key} ${status}: description`).toBe("string");
      }
    }
    for (const requirement of document.security ?? []) {
      for (const name of Object.keys(requirement)) expect(schemes.has(name), `security ${name}`).toBe(true);
    }
    expect([...schemes].sort()).toEqual(["bearerAuth", "sessionCookie"]);
  });

  it("declares each path parameter once, required, and only those in the path", () => {
    for (const { key, operation } of operations(document)) {
      const template = [...key.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!).sort();
      const parameters = (operation.parameters ?? []) as Array<{ name: string; in: string; required?: boolean }>;
      const inPath = parameters.filter((parameter) => parameter.in === "path");
      expect(inPath.map((parameter) => parameter.name).sort(), key).toEqual(template);
      expect(
        inPath.every((parameter) => parameter.required === true),
        key,
      ).toBe(true);
      const identities = parameters.map((parameter) => `${parameter.in}:${parameter.name}`);
      expect(new Set(identities).size, `${key}: a parameter repeats`).toBe(identities.length);
    }
  });

  it("describes every error code of lib/errors.ts with the one error shape", () => {
    for (const code of Object.keys(HTTP_STATUS)) {
      expect(ERROR_DESCRIPTIONS[code], `ERROR_DESCRIPTIONS.${code}`).toBeTruthy();
      expect(resolvePointer(document, `#/components/responses/${code}/content/application~1json/schema/$ref`)).toBe(
        "#/components/schemas/Error",
      );
    }
    const code = resolvePointer(document, "#/components/schemas/Error/properties/error/properties/code/enum");
    expect(code).toEqual(Object.keys(HTTP_STATUS));
  });

  it("documents 405 with Allow and 429 with Retry-After, which the handlers send", () => {
    expect(resolvePointer(document, "#/components/responses/METHOD_NOT_ALLOWED/headers/Allow")).toBeDefined();
    expect(resolvePointer(document, "#/components/responses/TOO_MANY_STREAMS/headers/Retry-After")).toBeDefined();
    const limited = operations(document).filter(({ operation }) => Object.hasOwn(operation.responses as object, "429"));
    expect(limited.map(({ key }) => key).sort()).toEqual([
      "GET /api/v1/events",
      "GET /api/v1/sessions/export",
      "GET /api/v1/sessions/{id}/export",
      "GET /api/v1/sessions/{id}/stream",
      "GET /api/v1/sessions/{id}/verify",
    ]);
    expect(document.info.description).toMatch(/405/);
  });

  it("refuses a route listed twice", () => {
    const first = API_ROUTES[0]!;
    expect(() => buildOpenApiDocument([first, { ...first, operationId: "again" }])).toThrow(/listed twice/);
  });
});

describe("query parameters are what the routes accept", () => {
  const queryParameters = (route: ApiRoute) => {
    const operation = document.paths?.[route.path]?.[route.method];
    return ((operation?.parameters ?? []) as Array<{ name: string; in: string; schema?: { enum?: unknown[] } }>).filter(
      (parameter) => parameter.in === "query",
    );
  };

  it("GET /api/v1/grants documents ?active exactly as the route accepts it (it once said only 1 and 0)", () => {
    const route = API_ROUTES.find((candidate) => candidate.operationId === "listGrants")!;
    const active = queryParameters(route).find((parameter) => parameter.name === "active");
    const documented = (active?.schema?.enum ?? []) as string[];
    expect([...documented].sort()).toEqual(["", "0", "1", "false", "true"]);
    for (const value of ["", "0", "1", "true", "false", "yes", "no", "2", "TRUE", " 1"]) {
      expect(listGrantsQuerySchema.safeParse({ active: value }).success, `?active=${value}`).toBe(documented.includes(value));
    }
    expect(listGrantsQuerySchema.parse({ active: "" }).active).toBe(true);
    expect(listGrantsQuerySchema.parse({ active: "true" }).active).toBe(true);
    expect(listGrantsQuerySchema.parse({ active: "false" }).active).toBe(false);
    expect(listGrantsQuerySchema.parse({}).active).toBe(false);
  });

  it("GET /api/v1/sessions/{id}/events takes ?after as a seq from 0 to the largest Postgres integer", () => {
    for (const [value, parsed] of [
      ["0", 0],
      ["42", 42],
      ["2147483647", 2_147_483_647],
    ] as const) {
      expect(listSessionEventsQuerySchema.parse({ after: value }).after).toBe(parsed);
    }
    for (const value of ["", "-1", "1.5", "1e3", "abc", "2147483648", "99999999999"]) {
      expect(listSessionEventsQuerySchema.safeParse({ after: value }).success, `?after=${value}`).toBe(false);
    }
    expect(listSessionEventsQuerySchema.parse({}).after).toBeUndefined();
  });

  it("every documented enum value of every query parameter is accepted by the route's schema", () => {
    for (const route of API_ROUTES.filter((candidate) => candidate.query)) {
      const documented = queryParameters(route);
      expect(documented.map((parameter) => parameter.name).sort()).toEqual(Object.keys(route.query!.shape).sort());
      for (const parameter of documented) {
        for (const value of parameter.schema?.enum ?? []) {
          expect(
            route.query!.safeParse({ [parameter.name]: value }).success,
            `${route.operationId} ?${parameter.name}=${String(value)}`,
          ).toBe(true);
        }
      }
    }
  });
});
