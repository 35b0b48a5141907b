import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/index.js';

const root = join(import.meta.dirname, '..', '..');
const docs = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
const catalog = new Set<string>(Object.values(ErrorCodes));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the error catalog', () => {
  it('documents every code in docs/errors.md', () => {
    for (const code of catalog) expect(docs, `${code} is missing from docs/errors.md`).toContain(`## \`${code}\``);
  });

  it('documents no code that the catalog lacks', () => {
    const documented = [...docs.matchAll(/## `(TROUPE_[A-Z_]+)`/g)].map((m) => m[1]!);
    expect(documented.filter((c) => !catalog.has(c))).toEqual([]);
  });

  it('is the only source of codes: every TROUPE_ literal in src/ and actors/ is in the catalog', () => {
    const unknown: string[] = [];
    for (const file of [...sources(join(root, 'src')), ...sources(join(root, 'actors'))]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/'(TROUPE_[A-Z_]+)'/g)) {
        if (!catalog.has(m[1]!)) unknown.push(`${file}: ${m[1]}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('never reuses a code for two names', () => {
    expect(new Set(Object.values(ErrorCodes)).size).toBe(Object.keys(ErrorCodes).length);
  });
});
