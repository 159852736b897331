import { readFile } from 'node:fs/promises';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import pg from 'pg';

/*
 * Compares the Prisma schema with a migrated database: tables, columns, nullability, column types
 * and enum values. Uses Prisma's own schema parser (WebAssembly, offline). Prisma's `migrate diff`
 * would do this too, but needs the native schema engine that these machines cannot download.
 */

/** Tables the SQL migrations own that Prisma does not model (partitions, staging, job queues...). */
export const SQL_ONLY_TABLES = new Set<string>(['_prisma_migrations']);

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isRequired: boolean;
  isList: boolean;
  nativeType?: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfEnum {
  name: string;
  dbName?: string | null;
  values: { name: string; dbName: string | null }[];
}

/** The PostgreSQL `udt_name`s each Prisma scalar may map to (native type attribute or default). */
function expectedUdt(field: DmmfField, enums: Map<string, DmmfEnum>): string[] {
  if (field.kind === 'enum') {
    const e = enums.get(field.type);
    return [e?.dbName ?? field.type];
  }
  const native = field.nativeType?.[0];
  const byNative: Record<string, string> = {
    Uuid: 'uuid',
    Timestamptz: 'timestamptz',
    Timestamp: 'timestamp',
    Date: 'date',
    VarChar: 'varchar',
    Char: 'bpchar',
    Text: 'text',
    SmallInt: 'int2',
    Integer: 'int4',
    BigInt: 'int8',
    DoublePrecision: 'float8',
    Real: 'float4',
    JsonB: 'jsonb',
    Json: 'json',
    Decimal: 'numeric',
  };
  if (native) return [byNative[native] ?? native.toLowerCase()];
  const byScalar: Record<string, string> = {
    String: 'text',
    Int: 'int4',
    BigInt: 'int8',
    Float: 'float8',
    Decimal: 'numeric',
    Boolean: 'bool',
    DateTime: 'timestamp',
    Json: 'jsonb',
    Bytes: 'bytea',
  };
  return [byScalar[field.type] ?? field.type.toLowerCase()];
}

export async function diffPrismaSchemaAgainstDatabase(schemaPath: string, url: string): Promise<string[]> {
  const schema = await readFile(schemaPath, 'utf8');
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schema]] }))) as {
    datamodel: { models: DmmfModel[]; enums: DmmfEnum[] };
  };
  const enums = new Map(dmmf.datamodel.enums.map((e) => [e.name, e]));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      is_nullable: string;
      udt_name: string;
    }>(
      `SELECT c.table_name, c.column_name, c.is_nullable, c.udt_name
         FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'`,
    );
    const partitions = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
    );
    const enumRows = await client.query<{ typname: string; enumlabel: string }>(
      `SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
         JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' ORDER BY e.enumsortorder`,
    );
    const partitionNames = new Set(partitions.rows.map((r) => r.relname));
    const dbTables = new Map<string, Map<string, { nullable: boolean; udt: string }>>();
    for (const row of columns.rows) {
      if (partitionNames.has(row.table_name)) continue;
      const table = dbTables.get(row.table_name) ?? new Map<string, { nullable: boolean; udt: string }>();
      dbTables.set(row.table_name, table);
      table.set(row.column_name, { nullable: row.is_nullable === 'YES', udt: row.udt_name });
    }

    const problems: string[] = [];
    const modelled = new Set<string>();
    for (const model of dmmf.datamodel.models) {
      const tableName = model.dbName ?? model.name;
      modelled.add(tableName);
      const table = dbTables.get(tableName);
      if (!table) {
        problems.push(`table ${tableName} (model ${model.name}) is missing from the database`);
        continue;
      }
      const seen = new Set<string>();
      for (const field of model.fields) {
        if (field.kind === 'object') continue;
        const column = field.dbName ?? field.name;
        seen.add(column);
        const actual = table.get(column);
        if (!actual) {
          problems.push(
            `column ${tableName}.${column} (field ${model.name}.${field.name}) is missing from the database`,
          );
          continue;
        }
        const udt = field.isList ? `_${expectedUdt(field, enums)[0]}` : expectedUdt(field, enums)[0];
        if (actual.udt !== udt)
          problems.push(`column ${tableName}.${column} is ${actual.udt} in the database, ${udt} in Prisma`);
        if (actual.nullable === field.isRequired) {
          problems.push(
            `column ${tableName}.${column} is ${actual.nullable ? 'nullable' : 'NOT NULL'} in the database but ${field.isRequired ? 'required' : 'optional'} in Prisma`,
          );
        }
      }
      for (const column of table.keys()) {
        if (!seen.has(column))
          problems.push(
            `column ${tableName}.${column} exists in the database but not in model ${model.name}`,
          );
      }
    }
    for (const table of dbTables.keys()) {
      if (!modelled.has(table) && !SQL_ONLY_TABLES.has(table)) {
        problems.push(
          `table ${table} exists in the database but in no Prisma model (nor in SQL_ONLY_TABLES)`,
        );
      }
    }
    const dbEnums = new Map<string, string[]>();
    for (const row of enumRows.rows)
      dbEnums.set(row.typname, [...(dbEnums.get(row.typname) ?? []), row.enumlabel]);
    for (const e of dmmf.datamodel.enums) {
      const name = e.dbName ?? e.name;
      const expected = e.values.map((v) => v.dbName ?? v.name);
      const actual = dbEnums.get(name);
      if (!actual) problems.push(`enum ${name} is missing from the database`);
      else if (actual.join(',') !== expected.join(',')) {
        problems.push(
          `enum ${name} is (${actual.join(', ')}) in the database, (${expected.join(', ')}) in Prisma`,
        );
      }
    }
    return problems;
  } finally {
    await client.end();
  }
}
