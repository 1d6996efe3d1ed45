// TaskEvents fan-out (driver layer): events of every task go to every open TaskEvents stream.
// Nomad routes an event by (alloc_id, task_name); a subscriber that throws is dropped, the others go on.
export interface TaskEvent {
  taskId: string;
  allocId: string;
  taskName: string;
  timestamp: Date;
  message: string;
  annotations: Record<string, string>;
}

export type EventListener = (event: TaskEvent) => void;

export class TaskEventBus {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: TaskEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}
