import { join } from 'node:path';
import { sqliteIndex } from '../../../src/rollout/index/sqlite/backend.js';
import { tempHome } from '../../helper.js';
import { describeCandidateSourceContract } from './contract.js';

describeCandidateSourceContract('scan (no index)', async () => null);

// A fresh index file per test, outside the Codex home.
describeCandidateSourceContract('SQLite index', async () => sqliteIndex({ path: join(await tempHome(), 'index.sqlite') }));
