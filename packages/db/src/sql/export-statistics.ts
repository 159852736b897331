// Raw SQL of export statistics: one row per feature, inserted with unnest() in one statement (the
// ORM would issue one insert per feature) inside the transaction that marks the export succeeded.
// The quantile ranks travel as array literals ('{0.01,...}'), as unnest() flattens a 2-D array.

export const insertExportStatisticsSql = `
  INSERT INTO feature_export_statistics
    (export_id, position, feature, sketch, count, null_fraction, mean, std, min, max, p1, p5, p25, p50, p75, p95, p99,
     quantile_ranks)
  SELECT $1, s.position, s.feature, $2, s.count, s.null_fraction, s.mean, s.std, s.min, s.max,
         s.p1, s.p5, s.p25, s.p50, s.p75, s.p95, s.p99, s.quantile_ranks::float8[]
    FROM unnest($3::int[], $4::text[], $5::bigint[], $6::float8[], $7::float8[], $8::float8[], $9::float8[],
                $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::float8[], $15::float8[],
                $16::float8[], $17::float8[], $18::text[])
      AS s(position, feature, count, null_fraction, mean, std, min, max, p1, p5, p25, p50, p75, p95, p99,
           quantile_ranks)`;

// Only a succeeded export of the caller's project has statistics; rows_written is the row count.
export const selectExportStatisticsSql = `
  SELECT s.feature, s.sketch, s.count::float8 AS count, s.null_fraction, s.mean, s.std, s.min, s.max,
         s.p1, s.p5, s.p25, s.p50, s.p75, s.p95, s.p99, s.quantile_ranks, s.computed_at,
         e.rows_written::float8 AS rows
    FROM feature_export_statistics s
    JOIN feature_exports e ON e.id = s.export_id
   WHERE e.project_id = $1 AND e.id = $2 AND e.status = 'succeeded'
   ORDER BY s.position`;
