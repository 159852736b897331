import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from '../src/env.js';

const valid = {
  DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/db',
  REDIS_URL: 'redis://127.0.0.1:6379',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  S3_ACCESS_KEY: 'key',
  S3_SECRET_KEY: 'secret',
};

describe('loadEnv', () => {
  it('applies documented defaults', () => {
    const env = loadEnv(valid);
    expect(env).toMatchObject({
      PORT: 8080,
      HOST: '127.0.0.1',
      S3_REGION: 'us-east-1',
      S3_BUCKET_MODELS: 'aihub-models',
      AIHUB_ROOT_PROJECT: 'admin',
      RETENTION_READINGS_DAYS: 400,
      RETENTION_FEATURES_DAYS: 90,
      RETENTION_WEATHER_DAYS: 365,
      AIHUB_MIGRATE_ON_START: true,
    });
    expect(env.AIHUB_BOOTSTRAP_ADMIN_KEY).toBeUndefined();
  });

  it('names every missing or malformed variable in one error', () => {
    let error: unknown;
    try {
      loadEnv({
        ...valid,
        DATABASE_URL: undefined,
        REDIS_URL: 'http://x',
        PORT: '70000',
        AIHUB_BOOTSTRAP_ADMIN_KEY: 'letmein',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvError);
    const message = (error as Error).message;
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'PORT', 'AIHUB_BOOTSTRAP_ADMIN_KEY'])
      expect(message).toContain(`${name}:`);
    expect(message).not.toContain('S3_ENDPOINT');
  });

  it('treats empty strings as unset', () => {
    expect(() => loadEnv({ ...valid, S3_SECRET_KEY: '' })).toThrow(/S3_SECRET_KEY/);
    expect(loadEnv({ ...valid, PORT: '' }).PORT).toBe(8080);
  });
});
