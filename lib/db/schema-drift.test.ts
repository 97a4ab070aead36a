import { readFileSync } from "node:fs";
import path from "node:path";
import internals from "@prisma/internals";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { MIGRATIONS_DIR, migrate } from "./migrate.ts";

// The Prisma CLI cannot run migrations here, so migrations are hand-written SQL. This test keeps
// them honest: the database they produce must match prisma/schema.prisma column for column —
// types, nullability, enums, primary keys, unique and plain indexes, and foreign keys.

const SCALAR_TYPES: Record<string, string> = {
  String: "text",
  Int: "integer",
  BigInt: "bigint",
  Boolean: "boolean",
  DateTime: "timestamp without time zone",
  Json: "jsonb",
  Float: "double precision",
};

let t: TestDatabase;
let client: pg.Client;
type Dmmf = Awaited<ReturnType<typeof internals.getDMMF>>;
let dmmf: Dmmf;

beforeAll(async () => {
  t = await createTestDatabase();
  client = new pg.Client({ connectionString: t.url });
  await client.connect();
  dmmf = await internals.getDMMF({ datamodel: readFileSync(path.join(MIGRATIONS_DIR, "..", "schema.prisma"), "utf8") });
});
afterAll(async () => {
  await client?.end();
  await t?.drop();
});

describe("migrations match prisma/schema.prisma", () => {
  it("has every table and column with the right type and nullability, and nothing else", async () => {
    const expected: string[] = [];
    for (const model of dmmf.datamodel.models) {
      const table = model.dbName ?? model.name;
      for (const field of model.fields) {
        if (field.kind === "object") continue;
        const column = field.dbName ?? field.name;
        const base = field.kind === "enum" ? field.type : SCALAR_TYPES[field.type];
        expect(base, `${model.name}.${field.name} has an unmapped type ${field.type}`).toBeDefined();
        const type = field.isList ? `${base}[]` : base;
        // Prisma creates list columns without NOT NULL.
        const nullable = field.isList || !field.isRequired;
        expected.push(`${table}.${column} ${type} ${nullable ? "NULL" : "NOT NULL"}`);
      }
    }
    const { rows } = await client.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      udt_name: string;
      is_nullable: string;
    }>(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    const actual = rows.map((row) => {
      let type = row.data_type === "USER-DEFINED" ? row.udt_name : row.data_type;
      if (row.data_type === "ARRAY") {
        const element = row.udt_name.replace(/^_/, "");
        type = `${element === "text" ? "text" : element}[]`;
      }
      return `${row.table_name}.${row.column_name} ${type} ${row.is_nullable === "YES" ? "NULL" : "NOT NULL"}`;
    });
    expect(actual.sort()).toEqual(expected.sort());
  });

  it("has the same enums and values", async () => {
    const expected = dmmf.datamodel.enums.map((e) => `${e.dbName ?? e.name}: ${e.values.map((v) => v.dbName ?? v.name).join(",")}`);
    const { rows } = await client.query<{ name: string; values: string }>(
      `SELECT t.typname AS name, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS values
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`,
    );
    expect(rows.map((row) => `${row.name}: ${row.values}`).sort()).toEqual(expected.sort());
  });

  it("has the same primary keys, unique constraints and indexes", async () => {
    const expected = new Set<string>();
    for (const model of dmmf.datamodel.models) {
      const table = model.dbName ?? model.name;
      const column = (name: string) => model.fields.find((f) => f.name === name)?.dbName ?? name;
      for (const field of model.fields) {
        if (field.isId) expected.add(`${table} primary (${column(field.name)})`);
        if (field.isUnique) expected.add(`${table} unique (${column(field.name)})`);
      }
      if (model.primaryKey) expected.add(`${table} primary (${model.primaryKey.fields.map(column).join(",")})`);
      for (const unique of model.uniqueFields) expected.add(`${table} unique (${unique.map(column).join(",")})`);
    }
    for (const index of dmmf.datamodel.indexes) {
      if (index.type !== "normal") continue;
      const model = dmmf.datamodel.models.find((m) => m.name === index.model)!;
      const column = (name: string) => model.fields.find((f) => f.name === name)?.dbName ?? name;
      expected.add(`${model.dbName ?? model.name} index (${index.fields.map((f) => column(f.name)).join(",")})`);
    }
    const { rows } = await client.query<{ table: string; primary: boolean; unique: boolean; columns: string }>(
      `SELECT c.relname AS table, i.indisprimary AS primary, i.indisunique AS unique,
              string_agg(a.attname, ',' ORDER BY k.ord) AS columns
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
       WHERE c.relname <> '_prisma_migrations'
       GROUP BY c.relname, i.indexrelid, i.indisprimary, i.indisunique`,
    );
    const actual = rows.map((row) => `${row.table} ${row.primary ? "primary" : row.unique ? "unique" : "index"} (${row.columns})`);
    expect(actual.sort()).toEqual([...expected].sort());
  });

  it("has the same foreign keys with the same delete rules", async () => {
    const rules: Record<string, string> = {
      Cascade: "CASCADE",
      SetNull: "SET NULL",
      Restrict: "RESTRICT",
      NoAction: "NO ACTION",
      SetDefault: "SET DEFAULT",
    };
    const expected: string[] = [];
    for (const model of dmmf.datamodel.models) {
      for (const field of model.fields) {
        if (field.kind !== "object" || !field.relationFromFields?.length) continue;
        // A relation the schema documents as having no foreign key in the database (for write speed).
        if (field.documentation?.includes("No foreign key in the database")) continue;
        const target = dmmf.datamodel.models.find((m) => m.name === field.type)!;
        const onDelete = rules[field.relationOnDelete ?? ""] ?? (field.isRequired ? "RESTRICT" : "SET NULL");
        expected.push(
          `${model.dbName ?? model.name}(${field.relationFromFields.join(",")}) -> ${target.dbName ?? target.name}(${field.relationToFields!.join(",")}) ON DELETE ${onDelete}`,
        );
      }
    }
    const { rows } = await client.query<{ fk: string }>(
      `SELECT format('%s(%s) -> %s(%s) ON DELETE %s', tc.table_name, string_agg(DISTINCT kcu.column_name, ','), ccu.table_name,
                     string_agg(DISTINCT ccu.column_name, ','), rc.delete_rule) AS fk
       FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name
       JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name
       JOIN information_schema.referential_constraints rc ON rc.constraint_name = tc.constraint_name
       WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'
       GROUP BY tc.table_name, ccu.table_name, rc.delete_rule, tc.constraint_name`,
    );
    expect(rows.map((row) => row.fk).sort()).toEqual(expected.sort());
  });

  it("records applied migrations like Prisma and refuses an edited one", async () => {
    const again = await migrate({ databaseUrl: t.url });
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied.length).toBeGreaterThan(0);
    const { rows } = await client.query<{ checksum: string; finished_at: Date | null }>(
      `SELECT checksum, finished_at FROM "_prisma_migrations"`,
    );
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.checksum) && row.finished_at)).toBe(true);
    await client.query(`UPDATE "_prisma_migrations" SET checksum = repeat('0', 64)`);
    await expect(migrate({ databaseUrl: t.url })).rejects.toThrow(/edited after it was applied/);
  });
});
