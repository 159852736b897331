import { describe, expect, it } from 'vitest';
import { columns, foldUsage } from './help.js';
import { formatNumber, problemLines } from './output.js';
import { isZonedTime } from './parse.js';
import { closest } from './suggest.js';

describe('formatNumber', () => {
  it('keeps integers whole and rounds other numbers to 6 significant digits', () => {
    expect(formatNumber(12345678)).toBe('12345678');
    expect(formatNumber(0.0612345678)).toBe('0.0612346');
    expect(formatNumber(3.605551275463989)).toBe('3.60555'); // sqrt(13)
    expect(formatNumber(-0.1125)).toBe('-0.1125');
    expect(formatNumber(1234567.89)).toBe('1234570');
    expect(formatNumber(1.5e-7)).toBe('1.5e-7');
  });
});

describe('problemLines', () => {
  const problems = (n: number) => Array.from({ length: n }, (_, i) => ({ line: i + 2, reason: 'bad' }));

  it('lists up to 1,000 problems as they are', () => {
    expect(problemLines(problems(2))).toEqual(['line 2: bad', 'line 3: bad']);
    expect(problemLines(problems(1000))).toHaveLength(1000);
  });

  it('ends a longer list with "… and N more", counting problems the server did not list', () => {
    const lines = problemLines(problems(1001));
    expect(lines).toHaveLength(1001);
    expect(lines[999]).toBe('line 1001: bad');
    expect(lines[1000]).toBe('… and 1 more');
    expect(problemLines(problems(3), 5_000).at(-1)).toBe('… and 4997 more');
  });
});

describe('closest', () => {
  const flags = ['--set', '--metric', '--entities', '--as-of', '--json', '--url'];

  it('finds the flag a typo meant, and nothing for an unrelated word', () => {
    expect(closest('--metirc', flags)).toBe('--metric');
    expect(closest('--entites', flags)).toBe('--entities');
    expect(closest('--asof', flags)).toBe('--as-of');
    expect(closest('--colour', flags)).toBeUndefined();
  });
});

describe('columns', () => {
  it('starts every second column at the same place', () => {
    expect(
      columns([
        ['a', 'first'],
        ['features materialize', 'second'],
      ]),
    ).toBe('  a                     first\n  features materialize  second');
  });
});

describe('isZonedTime', () => {
  it('accepts ISO 8601 with Z or an offset, and refuses zone-less or impossible times', () => {
    expect(isZonedTime('2026-03-01T00:00:00Z')).toBe(true);
    expect(isZonedTime('2026-03-01T00:00:00.123+01:00')).toBe(true);
    expect(isZonedTime('2026-03-01T00:00:00')).toBe(false);
    expect(isZonedTime('2026-03-01')).toBe(false);
    expect(isZonedTime('2026-13-01T00:00:00Z')).toBe(false);
    expect(isZonedTime('yesterday')).toBe(false);
  });
});

describe('foldUsage', () => {
  it('folds a long usage under its first flag without splitting a bracketed group', () => {
    const usage =
      'aihub models register --name N --file F [--train-from T --train-to T] [--comment C] [--json]';
    expect(foldUsage(usage, 60)).toBe(
      [
        'aihub models register --name N --file F',
        '                             [--train-from T --train-to T]',
        '                             [--comment C] [--json]',
      ].join('\n'),
    );
    expect(foldUsage('aihub health [--json]')).toBe('aihub health [--json]');
  });
});
