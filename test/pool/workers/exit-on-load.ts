// A module whose worker dies while importing it.
process.exit(9);

export function execute(): unknown {
  return null;
}
