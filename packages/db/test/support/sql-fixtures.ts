import type pg from 'pg';

/** A project inserted with plain SQL (fixtures never go through the code under test). */
export async function insertProject(pool: pg.Pool, name: string): Promise<string> {
  const result = await pool.query<{ id: string }>('INSERT INTO projects (name) VALUES ($1) RETURNING id', [
    name,
  ]);
  return (result.rows[0] as { id: string }).id;
}
