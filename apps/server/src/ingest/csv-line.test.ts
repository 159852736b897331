import { describe, expect, it } from 'vitest';
import { splitCsvLine } from './csv-line.js';

describe('splitCsvLine', () => {
  it('splits plain fields, keeping empty ones', () => {
    expect(splitCsvLine('m1,kwh,,2.5')).toEqual(['m1', 'kwh', '', '2.5']);
    expect(splitCsvLine('')).toEqual(['']);
  });

  it('unquotes quoted fields, with commas and doubled quotes inside', () => {
    expect(splitCsvLine('"m1","a,b","say ""hi""",3')).toEqual(['m1', 'a,b', 'say "hi"', '3']);
    expect(splitCsvLine('"",x')).toEqual(['', 'x']);
    expect(splitCsvLine('x,"y"')).toEqual(['x', 'y']);
  });

  it('reports malformed quoting instead of guessing', () => {
    expect(splitCsvLine('"m1,kwh')).toEqual({ error: 'unterminated quoted field' });
    expect(splitCsvLine('"m1"x,kwh')).toEqual({
      error: 'unexpected character after a quoted field at position 5',
    });
    expect(splitCsvLine('m"1,kwh')).toEqual({ error: 'stray quote in field at position 1' });
  });
});
