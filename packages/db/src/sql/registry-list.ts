import {
  DomainError,
  decodeCursor,
  encodeCursor,
  type ListCursor,
  type ModelListQuery,
  type ModelVersion,
} from '@aihub/core';
import { VERSION_COLUMNS } from './registry-rows.js';

/*
 * models.list as one raw statement: jsonb metric comparisons, alias/tag filters and keyset
 * pagination on a row comparison are beyond Prisma's query builder. Values are always bound
 * parameters; the only text spliced in comes from the fixed tables below.
 */

const OPERATORS = { '<': '<', '<=': '<=', '>': '>', '>=': '>=', '=': '=', '!=': '<>' } as const;

interface SortSpec {
  /** Identifies the order inside a cursor, so a cursor cannot be replayed under another order. */
  id: string;
  key: string;
  tie: string;
  keyCast: string;
  tieCast: string;
  cursorOf(v: ModelVersion): ListCursor['key'];
}

function sortSpec(query: ModelListQuery, bind: (value: unknown) => string): SortSpec {
  const id = `${query.sort}:${query.sortMetric ?? ''}:${query.order}`;
  switch (query.sort) {
    case 'name':
      return {
        id,
        key: 'm.name',
        tie: 'v.version',
        keyCast: 'text',
        tieCast: 'int',
        cursorOf: (v) => [v.modelName, v.version],
      };
    case 'version':
      return {
        id,
        key: 'v.version',
        tie: 'v.id',
        keyCast: 'int',
        tieCast: 'uuid',
        cursorOf: (v) => [v.version, v.id],
      };
    case 'metric': {
      const metric = query.sortMetric;
      if (!metric)
        throw DomainError.badRequest('Sorting by metric needs sortMetric', {
          sortMetric: ['is required when sort is metric'],
        });
      const ref = bind(metric);
      return {
        id,
        key: `(v.metrics->>${ref})::float8`,
        tie: 'v.id',
        keyCast: 'float8',
        tieCast: 'uuid',
        cursorOf: (v) => [v.metrics[metric] ?? 0, v.id],
      };
    }
    default:
      return {
        id,
        key: 'v.created_at',
        tie: 'v.id',
        keyCast: 'timestamptz',
        tieCast: 'uuid',
        cursorOf: (v) => [v.createdAt.toISOString(), v.id],
      };
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface BuiltListQuery {
  text: string;
  values: unknown[];
  nextCursor(page: ModelVersion[]): string | null;
}

export function buildListQuery(projectId: string, query: ModelListQuery): BuiltListQuery {
  const values: unknown[] = [projectId];
  const bind = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = ['v.project_id = $1', `v.status <> 'deleting'`];
  const sort = sortSpec(query, bind);
  if (query.nameContains) where.push(`m.name ILIKE ${bind(`%${escapeLike(query.nameContains)}%`)}`);
  if (query.stage) where.push(`v.stage = ${bind(query.stage)}::model_stage`);
  if (query.status) where.push(`v.status = ${bind(query.status)}::model_version_status`);
  if (query.alias) {
    where.push(
      `EXISTS (SELECT 1 FROM model_aliases a WHERE a.version_id = v.id AND a.alias = ${bind(query.alias)})`,
    );
  }
  if (query.tag) {
    const eq = query.tag.indexOf('=');
    if (eq < 0) where.push(`m.tags ? ${bind(query.tag)}`);
    else
      where.push(
        `m.tags @> ${bind(JSON.stringify({ [query.tag.slice(0, eq)]: query.tag.slice(eq + 1) }))}::jsonb`,
      );
  }
  for (const filter of query.metrics) {
    where.push(`(v.metrics->>${bind(filter.metric)})::float8 ${OPERATORS[filter.op]} ${bind(filter.value)}`);
  }
  if (query.sort === 'metric') where.push(`v.metrics ? ${bind(query.sortMetric)}`);
  const direction = query.order === 'asc' ? 'ASC' : 'DESC';
  if (query.cursor) {
    const [key, tie] = decodeCursor(query.cursor, sort.id).key;
    const cmp = query.order === 'asc' ? '>' : '<';
    where.push(
      `(${sort.key}, ${sort.tie}) ${cmp} (${bind(key)}::${sort.keyCast}, ${bind(tie)}::${sort.tieCast})`,
    );
  }
  const text = `
    SELECT ${VERSION_COLUMNS}
    FROM model_versions v JOIN registered_models m ON m.id = v.model_id
    WHERE ${where.join(' AND ')}
    ORDER BY ${sort.key} ${direction}, ${sort.tie} ${direction}
    LIMIT ${bind(query.limit + 1)}`;
  return {
    text,
    values,
    nextCursor(page) {
      const last = page[query.limit - 1];
      return page.length > query.limit && last
        ? encodeCursor({ sort: sort.id, key: sort.cursorOf(last) })
        : null;
    },
  };
}
