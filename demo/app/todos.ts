/** The app's data: todos as pulsesync records in the `todos` collective. */
import type { JsonValue, RecordEntry } from 'pulsesync';

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

/** The stored value of a todo (a JSON object). */
export function todoValue(todo: Omit<Todo, 'id'>): JsonValue {
  return {
    title: todo.title,
    done: todo.done,
    createdAt: todo.createdAt,
    updatedBy: todo.updatedBy,
    updatedAt: todo.updatedAt,
  };
}

/** Reads a record as a todo; fills in what an odd value lacks rather than failing. */
export function todoFromRecord(record: RecordEntry): Todo {
  const v = typeof record.value === 'object' && record.value !== null && !Array.isArray(record.value) ? record.value : {};
  return {
    id: record.id,
    title: typeof v['title'] === 'string' ? v['title'] : '(untitled)',
    done: v['done'] === true,
    createdAt: typeof v['createdAt'] === 'number' ? v['createdAt'] : 0,
    updatedBy: typeof v['updatedBy'] === 'string' ? v['updatedBy'] : '?',
    updatedAt: typeof v['updatedAt'] === 'number' ? v['updatedAt'] : 0,
  };
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

/** Oldest first, ties by id. */
export function byCreation(a: Todo, b: Todo): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
