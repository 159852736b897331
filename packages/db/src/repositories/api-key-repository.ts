import { type ApiKey, type ApiKeyRepository, DomainError, type NewApiKey, type Project } from '@aihub/core';
import { translateDbError } from '../errors.js';
import type { ApiKey as ApiKeyRow, PrismaClient } from '../generated/prisma/client.js';
import { toProject } from './project-repository.js';

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    projectId: row.projectId,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
  };
}

function toRow(input: NewApiKey) {
  return { projectId: input.projectId, name: input.name, role: input.role, prefix: input.prefix, keyHash: input.hash };
}

export class PrismaApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: NewApiKey): Promise<ApiKey> {
    try {
      const row = await this.prisma.apiKey.create({
        data: toRow(input),
      });
      return toApiKey(row);
    } catch (error) {
      translateDbError(error, 'An API key with this secret already exists');
    }
  }

  async ensure(input: NewApiKey): Promise<ApiKey> {
    try {
      const row = await this.prisma.apiKey.upsert({
        where: { keyHash: input.hash },
        update: {},
        create: toRow(input),
      });
      return toApiKey(row);
    } catch (error) {
      translateDbError(error);
    }
  }

  async list(projectId: string, options: { includeRevoked?: boolean } = {}): Promise<ApiKey[]> {
    try {
      const rows = await this.prisma.apiKey.findMany({
        where: { projectId, ...(options.includeRevoked ? {} : { revokedAt: null }) },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      return rows.map(toApiKey);
    } catch (error) {
      translateDbError(error);
    }
  }

  async revoke(projectId: string, keyId: string): Promise<ApiKey> {
    try {
      // Scoped by project in the WHERE clause: a key id from another project is simply not found.
      await this.prisma.apiKey.updateMany({
        where: { id: keyId, projectId, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      const row = await this.prisma.apiKey.findFirst({ where: { id: keyId, projectId } });
      if (!row) throw DomainError.notFound(`API key '${keyId}'`);
      return toApiKey(row);
    } catch (error) {
      translateDbError(error);
    }
  }

  async findActiveByHash(hash: string): Promise<{ key: ApiKey; project: Project } | null> {
    try {
      const row = await this.prisma.apiKey.findFirst({
        where: { keyHash: hash, revokedAt: null },
        include: { project: true },
      });
      if (!row) return null;
      const { project, ...key } = row;
      return {
        key: toApiKey(key),
        project: toProject(project),
      };
    } catch (error) {
      translateDbError(error);
    }
  }

  async markUsed(keyId: string, at: Date): Promise<void> {
    try {
      await this.prisma.apiKey.updateMany({ where: { id: keyId }, data: { lastUsedAt: at } });
    } catch (error) {
      translateDbError(error);
    }
  }
}
