/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped. Two values
 * that are deep-equal as JSON always encode to the same string, whatever their key order;
 * hashes over it (definition hash, input hash, the context chain) are stable.
 */
export function canonicalJson(value: unknown): string {
  return encode(value) ?? 'null';
}

function encode(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(v.toString());
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let s = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) s += ',';
          s += encode(v[i]) ?? 'null';
        }
        return s + ']';
      }
      const maybe = v as { toJSON?: () => unknown };
      if (typeof maybe.toJSON === 'function') return encode(maybe.toJSON());
      const keys = Object.keys(v).sort();
      let s = '{';
      let first = true;
      for (const k of keys) {
        const e = encode((v as Record<string, unknown>)[k]);
        if (e === undefined) continue;
        s += (first ? '' : ',') + JSON.stringify(k) + ':' + e;
        first = false;
      }
      return s + '}';
    }
    default:
      return undefined; // undefined, functions, symbols
  }
}
