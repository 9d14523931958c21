import { createTrackingStore } from '../../src/services/store/index.js';
import { describeStoreContract } from './contract.js';
import { collectingLogger } from './support.js';

describeStoreContract('memory://', () =>
  createTrackingStore({ url: 'memory://', logger: collectingLogger().logger }),
);
