/**
 * Where qcore keeps its files: `~/.qcore`, or `$QCORE_HOME`.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface HomePaths {
  home: string;
  config: string;
  sessions: string;
  history: string;
}

export function homePaths(env: NodeJS.ProcessEnv): HomePaths {
  const home = env.QCORE_HOME ? resolve(env.QCORE_HOME) : join(homedir(), '.qcore');
  return {
    home,
    config: join(home, 'config.json'),
    sessions: join(home, 'sessions'),
    history: join(home, 'history'),
  };
}
