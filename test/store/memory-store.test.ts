import { MemoryStore } from '../../src/store/index.js';
import { storeConformance } from './conformance.js';

storeConformance('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});
