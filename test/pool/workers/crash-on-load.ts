// A module that cannot start: it throws while being imported.
throw new Error('cannot start: missing licence file');

export function execute(): unknown {
  return null;
}
