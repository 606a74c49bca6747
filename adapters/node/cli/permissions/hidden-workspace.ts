/**
 * Read deny rules for the file tools: a workspace view in which the paths a
 * `Read(…)` deny rule names do not exist for `read`, `ls`, `find` and
 * `grep`, so a search started in a parent folder cannot reach into them.
 * Writes, edits and commands pass through (Edit/Write and Bash rules, and
 * `--sandbox`, govern those).
 */
import { joinPath, ROOT } from '../../../../src/tools/paths.js';
import { type Workspace, WorkspaceError } from '../../../../src/tools/types.js';

/** `hidden(path)` gets a workspace-relative path (`.` for the root). */
export function hideFromReads(workspace: Workspace, hidden: (path: string) => boolean): Workspace {
  const relative = (path: string): string => {
    const root = workspace.root.replace(/\/+$/, '');
    let rel = path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path === root ? ROOT : path;
    rel = rel.replace(/^(\.\/)+/, '');
    return rel === '' ? ROOT : rel;
  };
  const guard = (path: string): void => {
    if (hidden(relative(path))) throw new WorkspaceError('EACCES', `${relative(path)} is hidden by a Read deny rule`);
  };
  const view: Workspace = {
    get root() {
      return workspace.root;
    },
    readFile: async (path) => {
      guard(path);
      return workspace.readFile(path);
    },
    writeFile: (path, data) => workspace.writeFile(path, data),
    readdir: async (path) => {
      guard(path);
      const dir = relative(path);
      const entries = await workspace.readdir(path);
      return entries.filter((entry) => !hidden(dir === ROOT ? entry.name : joinPath(dir, entry.name)));
    },
    stat: async (path) => {
      guard(path);
      return workspace.stat(path);
    },
    mkdir: (path, options) => workspace.mkdir(path, options),
    rm: (path, options) => workspace.rm(path, options),
  };
  if (workspace.readFileRange) {
    const range = workspace.readFileRange.bind(workspace);
    view.readFileRange = async (path, offset, length) => {
      guard(path);
      return range(path, offset, length);
    };
  }
  if (workspace.exec) view.exec = workspace.exec.bind(workspace);
  if (workspace.grepMatcher) Object.defineProperty(view, 'grepMatcher', { value: workspace.grepMatcher });
  return view;
}
