import { objectShape, routerProcedures } from './procedures.js';
import { modelRefFields, REST_ROUTES, type RestRoute } from './routes.js';

/*
 * The REST routes as a Markdown table (method, path, procedure, input), made from the route table
 * and the procedures' input schemas. The README carries it verbatim; a test compares them.
 */

function inputOf(route: RestRoute): string {
  const procedure = routerProcedures().get(route.procedure);
  const parts: string[] = [];
  const fromPath = new Set<string>();
  for (const [name, param] of Object.entries(route.params ?? {})) {
    for (const field of modelRefFields(param)) fromPath.add(field);
    if ('field' in param)
      parts.push(param.field === name ? `path \`${name}\`` : `path \`${name}\` → \`${param.field}\``);
    else parts.push(`path \`${name}\` (id or \`${param.modelRef === 'any' ? 'name@ref' : 'name@N'}\`)`);
  }
  const shape = procedure?.input ? (objectShape(procedure.input) ?? {}) : {};
  const fields = Object.entries(shape)
    .filter(([field]) => !fromPath.has(field))
    .map(([field, schema]) => `${field}${schema.safeParse(undefined).success ? '?' : ''}`);
  if (fields.length > 0) {
    const inBody = route.method === 'POST' || route.method === 'PUT';
    parts.push(
      inBody ? `body \`{ ${fields.join(', ')} }\`` : `query ${fields.map((f) => `\`${f}\``).join(', ')}`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : '—';
}

export function restRouteTable(): string {
  const rows = REST_ROUTES.map(
    (route) => `| ${route.method} | \`${route.path}\` | \`${route.procedure}\` | ${inputOf(route)} |`,
  );
  return ['| method | path | procedure | input |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
