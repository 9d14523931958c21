import { taskCodec } from './codecs.js';
import type { EndedIndex } from './ended-index.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { storeKeys } from './keys.js';
import type { RecordIo } from './record-io.js';
import type { TaskRecord } from './records.js';
import type { TrackingStore } from './store-port.js';

export type TaskOperations = Pick<TrackingStore, 'getTask' | 'getTasks' | 'putTask'>;

/** Task records: one key each, written under the task's lock; an ended one is listed by when it ended. */
export function createTaskOperations({
  io,
  lock,
  ended,
}: {
  io: RecordIo;
  lock: KeyedMutex;
  ended: EndedIndex;
}): TaskOperations {
  return {
    getTask: (taskId) => io.read(storeKeys.task(taskId), taskCodec),

    async getTasks(taskIds) {
      const tasks = await io.readMany(taskIds.map(storeKeys.task), taskCodec);
      const found = new Map<string, TaskRecord>();
      tasks.forEach((task, i) => {
        const id = taskIds[i];
        if (task && id !== undefined) found.set(id, task);
      });
      return found;
    },

    async putTask(task) {
      const key = storeKeys.task(task.id);
      await lock.run(key, () => io.write(key, task, taskCodec));
      // After the record, as indexes are when adding (store-port.ts).
      await ended.note(task);
    },
  };
}
