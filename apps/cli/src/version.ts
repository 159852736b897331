// Set by tsup from package.json at build time (see tsup.config.ts); source runs (tests) see 'dev'.
declare const __AIHUB_CLI_VERSION__: string | undefined;

export const cliVersion: string =
  typeof __AIHUB_CLI_VERSION__ === 'string' ? __AIHUB_CLI_VERSION__ : '0.0.0-dev';
