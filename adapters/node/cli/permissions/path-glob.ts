/**
 * Path globs for permission rules, compiled to regular expressions: `*` and
 * `?` match within one path segment, `**` any number of segments (`src/**`
 * matches `src` itself and everything under it), `[abc]` a character class,
 * `{a,b}` alternatives. A dot file matches `*` like any other: a rule that
 * guards `secrets/*` must catch `secrets/.env`.
 */

export function globToRegExp(glob: string): RegExp {
  let source = '';
  let i = 0;
  let braces = 0;
  while (i < glob.length) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          // `a/**/b` matches `a/b`; a trailing `/**` matches the directory itself.
          if (glob[i + 2] === '/') {
            source += '(?:.*/)?';
            i += 3;
          } else {
            if (source.endsWith('/')) source = `${source.slice(0, -1)}(?:/.*)?`;
            else source += '.*';
            i += 2;
          }
          continue;
        }
        source += '[^/]*';
        i += 2;
        continue;
      }
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        source += '\\[';
      } else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      source += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (c === ',' && braces > 0) {
      source += '|';
    } else {
      source += c.replace(/[.+^$()|\\\]{}]/g, '\\$&');
    }
    i++;
  }
  if (braces > 0) throw new Error(`unclosed "{" in ${JSON.stringify(glob)}`);
  return new RegExp(`^${source}$`);
}
