import type { ModelAuditEvent } from '@aihub/client';
import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../src/timeline.js';

let id = 0;
function event(
  minute: number,
  version: number,
  action: ModelAuditEvent['action'],
  from: string | null,
  to: string | null,
  actor = 'ci',
): ModelAuditEvent {
  id += 1;
  return {
    id: String(id),
    modelName: 'm',
    versionId: `v${version}`,
    version,
    action,
    actor,
    from,
    to,
    comment: null,
    at: new Date(Date.UTC(2026, 0, 1, 0, minute)),
  };
}
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

describe('the model timeline replayed from audit events', () => {
  it('closes a production holding when the next version replaces it, and an alias when it moves or goes', () => {
    const events = [
      // Given out of order: the timeline sorts by time.
      event(5, 2, 'stage_changed', 'staging', 'production', 'bob'),
      event(5, 1, 'stage_changed', 'production', 'archived', 'bob'),
      event(0, 1, 'registered', null, null),
      event(1, 1, 'stage_changed', 'staging', 'production', 'alice'),
      event(2, 1, 'alias_set', null, 'champion@v1'),
      event(6, 2, 'alias_set', 'champion@v1', 'champion@v2'),
      event(8, 2, 'alias_removed', 'champion@v2', null, 'carol'),
      event(9, 3, 'alias_set', null, 'shadow@v3'),
      event(10, 3, 'deleted', null, null, 'admin'),
    ];
    const rows = buildTimeline(events).map((h) => [
      h.holder,
      h.version,
      h.from,
      h.to,
      h.setBy,
      h.endedAs,
      h.endedBy,
    ]);
    expect(rows).toEqual([
      ['production', 1, at(1), at(5), 'alice', 'archived', 'bob'],
      ['champion', 1, at(2), at(6), 'ci', 'moved to v2', 'ci'],
      ['production', 2, at(5), null, 'bob', null, null],
      ['champion', 2, at(6), at(8), 'ci', 'removed', 'carol'],
      ['shadow', 3, at(9), at(10), 'ci', 'deleted', 'admin'],
    ]);
  });

  it('has no holdings for a model that never reached production nor got an alias', () => {
    expect(buildTimeline([event(0, 1, 'registered', null, null), event(1, 1, 'ready', null, null)])).toEqual(
      [],
    );
  });
});
