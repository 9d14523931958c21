import type { Codec, RecordIo } from './record-io.js';
import type { IndexStorage } from './index-sets.js';
import {
  RECORD_VERSION,
  storedIndexSchema,
  storedSubscriptionSchema,
  storedTaskSchema,
  taskFromStored,
  taskToStored,
  type SubscriptionRecord,
  type TaskRecord,
} from './records.js';

/** The kinds of record the tracking store keeps, each with its schema and stored form. */

export const taskCodec: Codec<Parameters<typeof taskFromStored>[0], TaskRecord> = {
  kind: 'task',
  schema: storedTaskSchema,
  fromStored: taskFromStored,
  toStored: taskToStored,
  cached: true,
};

export const subscriptionCodec: Codec<SubscriptionRecord, SubscriptionRecord> = {
  kind: 'subscription',
  schema: storedSubscriptionSchema,
  fromStored: (stored) => stored,
  toStored: (subscription) => subscription,
  cached: true,
};

const indexCodec: Codec<{ v: 1; members: string[] }, string[]> = {
  kind: 'index',
  schema: storedIndexSchema,
  fromStored: (stored) => stored.members,
  toStored: (members) => ({ v: RECORD_VERSION, members }),
};

/** Indexes stored as validated records: a missing index is empty, and an empty one is deleted. */
export function indexStorageOver(io: RecordIo): IndexStorage {
  return {
    read: async (key) => (await io.read(key, indexCodec)) ?? [],
    readMany: async (keys) => (await io.readMany(keys, indexCodec)).map((members) => members ?? []),
    write: (key, members) =>
      members.length === 0 ? io.remove(key) : io.write(key, [...members], indexCodec),
  };
}
