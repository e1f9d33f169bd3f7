/**
 * The written paths of one decision as a trie: where the diff looks (the
 * written paths no other contains) and which rule each patch op came from
 * (the most specific write at or above it), both in O(depth) per path.
 */

/** A trie over written paths: the rule written at a node, and the first rule written below it. */
export interface TagNode {
  rule?: string;
  firstBelow?: string;
  children?: Map<string, TagNode>;
}

/** The written paths as a trie: the rule written at a node, and the first rule written below it. */
export function writeTrie(writes: ReadonlyArray<{ segments: ReadonlyArray<string | number>; rule: string }>): TagNode {
  const root: TagNode = {};
  for (const w of writes) {
    let node = root;
    for (const seg of w.segments) {
      node.firstBelow ??= w.rule;
      node.children ??= new Map();
      const key = String(seg);
      let next = node.children.get(key);
      if (!next) {
        next = {};
        node.children.set(key, next);
      }
      node = next;
    }
    node.rule = w.rule;
  }
  return root;
}

/**
 * Tags a diff op with the rule behind it: the most specific write at or
 * above the op's path; for an op above several writes (e.g. a whole
 * `resources` object added), the first write below it. A trie of the
 * written paths keeps this O(depth) per op.
 */
export function tagger(root: TagNode, fallback: string): (path: string) => string {
  return (path) => {
    let node: TagNode | undefined = root;
    let covering: string | undefined;
    // Walk the pointer segment by segment without splitting it: this runs once per patch op.
    for (let start = 1; start <= path.length && node;) {
      let end = path.indexOf('/', start);
      if (end < 0) end = path.length;
      const raw = path.slice(start, end);
      const seg = raw.includes('~') ? raw.replace(/~1/g, '/').replace(/~0/g, '~') : raw;
      const next: TagNode | undefined = node.children?.get(seg);
      if (!next) return covering ?? fallback;
      node = next;
      if (node.rule !== undefined) covering = node.rule;
      start = end + 1;
    }
    return covering ?? node?.firstBelow ?? fallback;
  };
}

/** The written paths no other written path contains, in first-write order: where the diff looks. */
export function writtenRoots(root: TagNode): string[][] {
  const out: string[][] = [];
  const path: string[] = [];
  const walk = (node: TagNode): void => {
    if (node.rule !== undefined && path.length > 0) {
      out.push(path.slice());
      return;
    }
    if (!node.children) return;
    for (const [k, c] of node.children) {
      path.push(k);
      walk(c);
      path.pop();
    }
  };
  walk(root);
  return out;
}
