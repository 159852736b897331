// COPY's text format: backslash, tab and line breaks are escaped; \N is NULL.
const NEEDS_ESCAPE = /[\\\t\n\r]/;

export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function copyNumber(value: number | null): string {
  return value === null ? '\\N' : String(value);
}
