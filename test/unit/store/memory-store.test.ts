import { createTrackingStore } from '../../../src/store/index.js';
import { describeStoreContract } from '../../integration/store/contract.js';
import { collectingLogger } from '../../integration/store/support.js';

describeStoreContract('memory://', () =>
  createTrackingStore({ url: 'memory://', logger: collectingLogger().logger }),
);
