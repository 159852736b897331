import { DomainError, type Project, type ProjectRepository } from '@aihub/core';
import { translateDbError } from '../errors.js';
import type { PrismaClient, Project as ProjectRow } from '../generated/prisma/client.js';

export function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    isRoot: row.isRoot,
    createdAt: row.createdAt,
  };
}

export class PrismaProjectRepository implements ProjectRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: { name: string; description: string | null; isRoot?: boolean }): Promise<Project> {
    try {
      const row = await this.prisma.project.create({
        data: { name: input.name, description: input.description, isRoot: input.isRoot ?? false },
      });
      return toProject(row);
    } catch (error) {
      translateDbError(error, `A project named '${input.name}' already exists`);
    }
  }

  async ensureRoot(name: string): Promise<Project> {
    try {
      const existing = await this.prisma.project.findFirst({ where: { isRoot: true } });
      if (existing) return toProject(existing);
      // Two servers starting at once: the partial unique index lets only one root exist; the loser re-reads.
      await this.prisma.$executeRaw`
        INSERT INTO projects (name, description, is_root)
        VALUES (${name}, 'Platform operators', true)
        ON CONFLICT DO NOTHING`;
      const root = await this.prisma.project.findFirst({ where: { isRoot: true } });
      if (!root) throw new DomainError('CONFLICT', `Cannot create root project '${name}': the name is taken`);
      return toProject(root);
    } catch (error) {
      translateDbError(error);
    }
  }

  async getById(id: string): Promise<Project | null> {
    try {
      const row = await this.prisma.project.findUnique({ where: { id } });
      return row ? toProject(row) : null;
    } catch (error) {
      translateDbError(error);
    }
  }

  async getByName(name: string): Promise<Project | null> {
    try {
      const row = await this.prisma.project.findUnique({ where: { name } });
      return row ? toProject(row) : null;
    } catch (error) {
      translateDbError(error);
    }
  }

  async list(filter: { ids?: readonly string[] } = {}): Promise<Project[]> {
    try {
      const rows = await this.prisma.project.findMany({
        where: filter.ids ? { id: { in: [...filter.ids] } } : {},
        orderBy: { name: 'asc' },
      });
      return rows.map(toProject);
    } catch (error) {
      translateDbError(error);
    }
  }
}
