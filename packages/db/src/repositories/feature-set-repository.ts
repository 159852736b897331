import { DomainError, type FeatureSet, type FeatureSetRepository } from '@aihub/core';
import { isUniqueViolation, translateDbError } from '../errors.js';
import type { FeatureSetVersion, PrismaClient } from '../generated/prisma/client.js';

function toFeatureSet(row: FeatureSetVersion): FeatureSet {
  return {
    name: row.name,
    version: row.version,
    features: row.features,
    predefined: false,
    description: row.description,
    createdAt: row.createdAt,
  };
}

const MAX_ATTEMPTS = 5;

export class PrismaFeatureSetRepository implements FeatureSetRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async define(input: {
    projectId: string;
    name: string;
    features: readonly string[];
    description: string | null;
    createdBy: string;
  }): Promise<{ featureSet: FeatureSet; created: boolean }> {
    // Two definers racing for the same next version: the unique index lets one win; the other
    // re-reads and either finds its own features already stored or takes the version after.
    for (let attempt = 1; ; attempt++) {
      try {
        const latest = await this.prisma.featureSetVersion.findFirst({
          where: { projectId: input.projectId, name: input.name },
          orderBy: { version: 'desc' },
        });
        if (latest && sameFeatures(latest.features, input.features)) {
          return { featureSet: toFeatureSet(latest), created: false };
        }
        const row = await this.prisma.featureSetVersion.create({
          data: {
            projectId: input.projectId,
            name: input.name,
            version: (latest?.version ?? 0) + 1,
            features: [...input.features],
            description: input.description,
            createdBy: input.createdBy,
          },
        });
        return { featureSet: toFeatureSet(row), created: true };
      } catch (error) {
        if (isUniqueViolation(error) && attempt < MAX_ATTEMPTS) continue;
        if (isUniqueViolation(error))
          throw DomainError.conflict(`Feature set '${input.name}' is being redefined concurrently; retry`);
        translateDbError(error);
      }
    }
  }

  async get(projectId: string, name: string, version?: number): Promise<FeatureSet | null> {
    try {
      const row = await this.prisma.featureSetVersion.findFirst({
        where: { projectId, name, ...(version === undefined ? {} : { version }) },
        orderBy: { version: 'desc' },
      });
      return row ? toFeatureSet(row) : null;
    } catch (error) {
      translateDbError(error);
    }
  }

  async list(projectId: string): Promise<FeatureSet[]> {
    try {
      const rows = await this.prisma.featureSetVersion.findMany({
        where: { projectId },
        orderBy: [{ name: 'asc' }, { version: 'asc' }],
      });
      return rows.map(toFeatureSet);
    } catch (error) {
      translateDbError(error);
    }
  }
}

function sameFeatures(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
