// Task id → TaskHandle (driver layer).
import type { TaskHandle } from "./task-handle.ts";

export class TaskStore {
  private readonly tasks = new Map<string, TaskHandle>();

  get(taskId: string): TaskHandle | undefined {
    return this.tasks.get(taskId);
  }

  set(handle: TaskHandle): void {
    this.tasks.set(handle.taskId, handle);
  }

  delete(taskId: string): void {
    this.tasks.delete(taskId);
  }

  get size(): number {
    return this.tasks.size;
  }
}
