/** The app's data: todos in the `todos` collection (declared in collections.ts). */
import type { CollectionRecord, JsonValue } from 'pulsesync';
import type { TodoValue } from './collections.ts';

/** The collective todos live in. */
export const TODOS = 'todos';

/** One todo, as the page shows it. */
export interface Todo {
  readonly id: string;
  readonly title: string;
  readonly done: boolean;
  /** Epoch ms; orders the list. */
  readonly createdAt: number;
  /** Which device wrote this state, and when. */
  readonly updatedBy: string;
  readonly updatedAt: number;
}

/** The stored value of a todo (checked by the collection's schema when written). */
export function todoValue(todo: Omit<Todo, 'id'>): TodoValue {
  return {
    title: todo.title,
    done: todo.done,
    createdAt: todo.createdAt,
    updatedBy: todo.updatedBy,
    updatedAt: todo.updatedAt,
  };
}

/** A record of the collection as the list shows it. */
export function todoFromRecord(record: CollectionRecord<TodoValue>): Todo {
  return { id: record.id, ...record.value };
}

/** The title a stored value shows (for the conflict log). */
export function titleOf(value: JsonValue | undefined): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const title = value['title'];
  return typeof title === 'string' ? title : undefined;
}

/** A new id: time first, so ids of one device sort by creation. */
export function newTodoId(): string {
  return `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}
