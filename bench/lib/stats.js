// Small statistics helpers: nearest-rank percentiles and medians.
'use strict';

/** Nearest-rank percentile of an unsorted array (p in 0..100); NaN for an empty array. */
function percentile(values, p) {
  if (!values.length) return NaN;
  const s = Float64Array.from(values).sort();
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1];
}

/** Median of the finite numbers in `values`; NaN when there are none. */
function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

module.exports = { percentile, median };
