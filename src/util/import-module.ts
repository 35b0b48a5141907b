import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TS = new Set(['.ts', '.mts', '.cts']);

/**
 * Import a module by path or `file:` URL. TypeScript modules load through tsx when Node cannot
 * load them itself (Node 20 cannot strip types); the tsx loader is scoped to that import, no
 * global hooks are installed.
 *
 * @param file - an absolute path or a `file:` URL.
 * @returns the module namespace.
 */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = file.startsWith('file:') ? file : pathToFileURL(file).href;
  const path = file.startsWith('file:') ? fileURLToPath(file) : file;
  if (!TS.has(extname(path))) return (await import(url)) as Record<string, unknown>;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
}
