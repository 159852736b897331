import { describe, expect, it } from 'vitest';
import { findCommand, splitGlobalFlags } from './argv.js';
import type { Command } from './command.js';

const command = (name: string): Command => ({ name, usage: name, summary: '', run: async () => {} });

describe('splitGlobalFlags', () => {
  it('takes global flags from anywhere on the line, in both --flag value and --flag=value forms', () => {
    const parsed = splitGlobalFlags(
      ['keys', '--json', 'create', '--url=http://h:1', '--name', 'x', '--api-key', 'K'],
      {},
    );
    expect(parsed).toEqual({
      url: 'http://h:1',
      apiKey: 'K',
      json: true,
      help: false,
      rest: ['keys', 'create', '--name', 'x'],
    });
  });

  it('falls back to AIHUB_URL and AIHUB_API_KEY, then to the local default', () => {
    expect(splitGlobalFlags(['health'], { AIHUB_URL: 'http://env:2', AIHUB_API_KEY: 'E' })).toMatchObject({
      url: 'http://env:2',
      apiKey: 'E',
    });
    expect(splitGlobalFlags(['health'], {})).toMatchObject({
      url: 'http://127.0.0.1:8080',
      apiKey: undefined,
    });
    expect(splitGlobalFlags(['health', '--url', 'http://flag:3'], { AIHUB_URL: 'http://env:2' }).url).toBe(
      'http://flag:3',
    );
  });

  it('rejects a flag that is missing its value', () => {
    expect(() => splitGlobalFlags(['health', '--url'], {})).toThrow('--url needs a value');
  });
});

describe('findCommand', () => {
  const commands = [command('keys create'), command('keys list'), command('health')];

  it('matches multi-word commands and hands over the remaining arguments', () => {
    const found = findCommand(commands, ['keys', 'list', '--all']);
    expect(found?.command.name).toBe('keys list');
    expect(found?.args).toEqual(['--all']);
  });

  it('finds nothing for an unknown or partial command', () => {
    expect(findCommand(commands, ['keys'])).toBeUndefined();
    expect(findCommand(commands, ['models', 'list'])).toBeUndefined();
  });
});
