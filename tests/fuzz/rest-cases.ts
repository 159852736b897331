import { REST_ROUTES, type RestRoute } from '@aihub/server';
import type { FuzzFixture } from './fixture.js';
import { authVariant, type FuzzRequest } from './http-cases.js';
import type { Random } from './random.js';
import { keyFor, procedures, seedsOf } from './trpc-cases.js';
import { isRecord, mutate, NASTY_STRINGS, nastyValue, type Value } from './values.js';
import { toWire } from './wire.js';

/*
 * Malformed requests to the REST routes (`/ai/…`): each route's procedure seed, mutated, then
 * spread over the path, the query string or a JSON body as a REST client would send it, with now
 * and then a path segment, query parameter, content type or method no client should send.
 */

export const restRoutes = (): readonly RestRoute[] => REST_ROUTES;

/** A value as text in a URL: strings as they are, anything else as its JSON. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
}

function segment(text: string, rng: Random): string {
  // Mostly encoded as a client would; sometimes raw, which may be no valid percent-encoding at all.
  const raw = () => text.replace(/[/?#]/g, '%');
  if (rng.chance(0.1)) return raw();
  try {
    return encodeURIComponent(text);
  } catch {
    return raw(); // a lone surrogate has no encoding
  }
}

/** The path with its parameters filled from the input (the fields taken out of it). */
function fillPath(route: RestRoute, input: Record<string, unknown>, rng: Random): string {
  let path = route.path;
  for (const [name, param] of Object.entries(route.params ?? {})) {
    let text: string;
    if (rng.chance(0.15)) text = asText(nastyValue(rng));
    else if ('field' in param) {
      text = input[param.field] === undefined ? param.example : asText(input[param.field]);
      delete input[param.field];
    } else {
      const { id, name: model, version, stage, alias } = input;
      text =
        id !== undefined ? asText(id) : `${asText(model ?? 'x')}@${asText(version ?? stage ?? alias ?? '')}`;
      for (const field of ['id', 'name', 'version', 'stage', 'alias']) delete input[field];
    }
    path = path.replace(`{${name}}`, segment(text, rng));
  }
  return path;
}

function queryOf(input: Record<string, unknown>, rng: Random): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    // URLSearchParams writes a lone surrogate as U+FFFD, as a browser would.
    for (const v of Array.isArray(value) ? value : [value]) query.append(key, asText(v));
  }
  if (rng.chance(0.05))
    query.append(rng.pick(['limt', '__proto__', 'constructor', '']), asText(nastyValue(rng)));
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** One request to `route`: mostly a mutated seed of its procedure, sometimes the seed itself. */
export function restRequest(route: RestRoute, fx: FuzzFixture, rng: Random): FuzzRequest {
  const procedure = procedures().find((p) => p.path === route.procedure);
  const { key, inputs } = seedsOf(procedure ?? { path: route.procedure, inputs: [] }, fx, rng);
  const seed = rng.pick(inputs);
  const roll = rng.next();
  const mutated: Value = roll < 0.15 ? seed : roll < 0.2 ? nastyValue(rng) : mutate(seed, rng);
  const json = mutated === undefined ? undefined : toWire(mutated).json;
  const fields: Record<string, unknown> = isRecord(json) ? { ...json } : {};
  const target = `rest ${route.method} ${route.path}`;
  const headers: Record<string, string> = {};
  const token = keyFor(key, fx.keys);
  const auth = rng.chance(0.85) ? (token ? `Bearer ${token}` : undefined) : authVariant(fx.keys, rng);
  if (auth !== undefined) headers.authorization = auth;
  let method: string = route.method;
  if (rng.chance(0.03)) method = rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
  const path = fillPath(route, fields, rng);
  if (route.method === 'GET' || route.method === 'DELETE')
    return { target, method, path: `${path}${queryOf(fields, rng)}`, headers };
  headers['content-type'] = rng.chance(0.95)
    ? 'application/json'
    : rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', '']);
  const roll2 = rng.next();
  const body =
    roll2 < 0.9
      ? (JSON.stringify(isRecord(json) ? fields : json) ?? '')
      : roll2 < 0.95
        ? rng.pick(NASTY_STRINGS)
        : '{"featureSet":';
  return { target, method, path, headers, body };
}
