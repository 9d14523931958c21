export { createTrackingStore } from './tracking-store.js';
export type {
  ActiveOwners,
  CreateStoreOptions,
  PruneCounts,
  PruneOptions,
  TrackingStore,
} from './tracking-store.js';
export {
  FencedOutError,
  isFencedOut,
  StoreUnavailableError,
  type BackendKind,
  type WriteFence,
} from './backend.js';
export { InvalidRecordError } from './record-io.js';
export { createKeyedMutex, type KeyedMutex } from './keyed-mutex.js';
export {
  END_REASONS,
  RECORD_VERSION,
  SUBSCRIPTION_STATES,
  type DmDelivery,
  type EndReason,
  type SubscriptionDelivery,
  type SubscriptionRecord,
  type SubscriptionState,
  type TaskDelivery,
  type TaskRecord,
  endedAtOf,
} from './records.js';
