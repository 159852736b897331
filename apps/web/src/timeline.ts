import type { ModelAuditEvent } from '@aihub/client';

/** One holding of the timeline: which version held production (or an alias), from when to when. */
export interface Holding {
  /** 'production' or an alias name. */
  holder: string;
  kind: 'stage' | 'alias';
  version: number;
  from: Date;
  /** null while it still holds. */
  to: Date | null;
  setBy: string;
  comment: string | null;
  /** Who or what ended it: the audit event's actor and what the version became (archived, v3, deleted). */
  endedBy: string | null;
  endedAs: string | null;
}

// Versions start in staging without an audit event of their own, so only production is tracked as a holding.
const TRACKED_STAGES = new Set(['production']);

function aliasOf(value: string | null): { alias: string; version: number } | null {
  const match = value ? /^(.+)@v(\d+)$/.exec(value) : null;
  return match ? { alias: match[1] as string, version: Number(match[2]) } : null;
}

/**
 * Replays a model's audit events (models.history) into holdings. Hand-written: it is the console's
 * own reading of AI Hub's audit vocabulary (stage_changed from/to, alias_set `alias@vN`), which no
 * library knows.
 */
export function buildTimeline(events: readonly ModelAuditEvent[]): Holding[] {
  const ordered = [...events].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  const open = new Map<string, Holding>();
  const done: Holding[] = [];
  const close = (key: string, at: Date, actor: string, as: string) => {
    const holding = open.get(key);
    if (!holding) return;
    holding.to = at;
    holding.endedBy = actor;
    holding.endedAs = as;
    done.push(holding);
    open.delete(key);
  };
  const start = (h: Omit<Holding, 'to' | 'endedBy' | 'endedAs'>, key: string) => {
    open.set(key, { ...h, to: null, endedBy: null, endedAs: null });
  };
  for (const event of ordered) {
    const at = new Date(event.at);
    const version = event.version;
    if (version === null) continue;
    if (event.action === 'stage_changed') {
      if (event.from && TRACKED_STAGES.has(event.from))
        close(`stage:${event.from}:${version}`, at, event.actor, event.to ?? '?');
      if (event.to && TRACKED_STAGES.has(event.to)) {
        start(
          { holder: event.to, kind: 'stage', version, from: at, setBy: event.actor, comment: event.comment },
          `stage:${event.to}:${version}`,
        );
      }
    } else if (event.action === 'alias_set') {
      const previous = aliasOf(event.from);
      const next = aliasOf(event.to);
      if (previous) close(`alias:${previous.alias}`, at, event.actor, `moved to v${next?.version ?? '?'}`);
      if (next) {
        start(
          {
            holder: next.alias,
            kind: 'alias',
            version: next.version,
            from: at,
            setBy: event.actor,
            comment: event.comment,
          },
          `alias:${next.alias}`,
        );
      }
    } else if (event.action === 'alias_removed') {
      const removed = aliasOf(event.from);
      if (removed) close(`alias:${removed.alias}`, at, event.actor, 'removed');
    } else if (event.action === 'deleted') {
      for (const [key, holding] of open)
        if (holding.version === version) close(key, at, event.actor, 'deleted');
    }
  }
  return [...done, ...open.values()].sort(
    (a, b) => a.from.getTime() - b.from.getTime() || a.holder.localeCompare(b.holder),
  );
}
