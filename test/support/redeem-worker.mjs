// Worker-thread entry for test/support/redeem-worker.ts: registers tsx (TypeScript) in this thread, then loads it.
import { register } from 'tsx/esm/api';

register();
await import('./redeem-worker.ts');
