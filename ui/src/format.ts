// Number, duration, cost and time formatting shared by every page (unit-tested in format.test.ts).
// Every formatter takes null/undefined/NaN and answers "–" so tables never show "NaN".

export const DASH = '–';

function bad(v: number | null | undefined): v is null | undefined {
  return v === null || v === undefined || Number.isNaN(v);
}

// Three significant digits, never exponent notation for ordinary magnitudes: 0.0123, 1.23, 12.3, 123.
export function sig3(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return trimZeros(v.toFixed(1));
  if (a >= 1) return trimZeros(v.toFixed(2));
  if (a >= 0.001) return trimZeros(v.toPrecision(3));
  return v.toExponential(1);
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

// 950 → "950", 1234 → "1.23k", 5.6e6 → "5.6M", 0.25 → "0.25".
export function fmtNumber(v: number | null | undefined): string {
  if (bad(v)) return DASH;
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const a = Math.abs(v);
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, suffix] of units) {
    if (a >= size) return sig3(v / size) + suffix;
  }
  return sig3(v);
}

// Per-second rates: "12.3/s"; below 1/s as "/min" so a quiet service does not read "0.00/s".
export function fmtRate(v: number | null | undefined): string {
  if (bad(v)) return DASH;
  if (v !== 0 && Math.abs(v) < 0.1) return fmtNumber(v * 60) + '/min';
  return fmtNumber(v) + '/s';
}

// Ratios in [0,1] → percent: 0.0123 → "1.23%", 0 → "0%", 1 → "100%".
export function fmtPercent(v: number | null | undefined): string {
  if (bad(v)) return DASH;
  const p = v * 100;
  if (p === 0) return '0%';
  if (Math.abs(p) < 0.01) return '<0.01%';
  return sig3(p) + '%';
}

// Seconds → the unit a human reads: "850ns", "420µs", "12.3ms", "1.25s", "2m 05s", "3h 04m", "2d 3h".
export function fmtDuration(seconds: number | null | undefined): string {
  if (bad(seconds)) return DASH;
  if (!Number.isFinite(seconds)) return seconds > 0 ? '+Inf' : '-Inf';
  const neg = seconds < 0 ? '-' : '';
  const s = Math.abs(seconds);
  if (s === 0) return '0s';
  if (s < 1e-6) return neg + sig3(s * 1e9) + 'ns';
  if (s < 1e-3) return neg + sig3(s * 1e6) + 'µs';
  if (s < 1) return neg + sig3(s * 1e3) + 'ms';
  if (s < 60) return neg + sig3(s) + 's';
  const total = Math.round(s);
  if (total < 3600) return `${neg}${Math.floor(total / 60)}m ${pad2(total % 60)}s`;
  if (total < 86400) return `${neg}${Math.floor(total / 3600)}h ${pad2(Math.floor((total % 3600) / 60))}m`;
  return `${neg}${Math.floor(total / 86400)}d ${Math.floor((total % 86400) / 3600)}h`;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

const SYMBOLS: Record<string, string> = { USD: '$', EUR: '€', GBP: '£', JPY: '¥', RUB: '₽' };

// Money: "$0.0042" (small amounts keep 2 significant digits), "$12.34", "$1,234", "12.50 CHF".
export function fmtCost(v: number | null | undefined, currency = 'USD'): string {
  if (bad(v)) return DASH;
  const a = Math.abs(v);
  let body: string;
  if (a === 0) body = '0.00';
  else if (a < 0.01) body = a.toPrecision(2).replace(/0+$/, '').replace(/\.$/, '');
  else if (a < 1000) body = a.toFixed(2);
  else body = Math.round(a).toLocaleString('en-US');
  const sign = v < 0 ? '-' : '';
  const sym = SYMBOLS[currency.toUpperCase()];
  return sym ? `${sign}${sym}${body}` : `${sign}${body} ${currency}`;
}

// Counts of tokens etc.: exact below 10k with thousands separators, SI above.
export function fmtCount(v: number | null | undefined): string {
  if (bad(v)) return DASH;
  if (Math.abs(v) < 10000) return Math.round(v).toLocaleString('en-US');
  return fmtNumber(v);
}

// Bytes with binary units: 1536 → "1.5 KiB".
export function fmtBytes(v: number | null | undefined): string {
  if (bad(v)) return DASH;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = Math.abs(v);
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return (v < 0 ? '-' : '') + (i === 0 ? String(Math.round(x)) : sig3(x)) + ' ' + units[i];
}

// Unix seconds → "2026-11-23 03:04:05" in local time (UTC when utc is set).
export function fmtTime(unixSeconds: number | null | undefined, utc = false): string {
  if (bad(unixSeconds)) return DASH;
  const d = new Date(unixSeconds * 1000);
  const p = (n: number) => pad2(n);
  const [Y, M, D, h, m, s] = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${Y}-${p(M)}-${p(D)} ${p(h)}:${p(m)}:${p(s)}`;
}

// A value by unit name, as PromQL metric names suggest: "_seconds" → duration, "_bytes" → bytes.
export function fmtByUnit(v: number | null | undefined, unit: string): string {
  switch (unit) {
    case 's':
    case 'seconds':
      return fmtDuration(v);
    case 'ms':
      return fmtDuration(bad(v) ? v : v / 1000);
    case 'bytes':
      return fmtBytes(v);
    case 'percent':
    case 'ratio':
      return fmtPercent(v);
    case 'cost':
      return fmtCost(v);
    case 'rate':
      return fmtRate(v);
    default:
      return fmtNumber(v);
  }
}

export function unitOfMetric(name: string): string {
  if (/_seconds(_bucket|_sum|_count)?$/.test(name)) return 's';
  if (/_ms(_bucket|_sum|_count)?$/.test(name)) return 'ms';
  if (/_bytes(_total)?$/.test(name)) return 'bytes';
  if (/_perc$|_ratio$/.test(name)) return 'ratio';
  return '';
}
