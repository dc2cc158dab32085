// The storage area's own types. The Kubernetes objects it reads (PersistentVolume,
// PersistentVolumeClaim, StorageClass) are the shared object model's, from src/objects.

/** A Node as the scheduler path of binding sees it: its name and labels. */
export interface NodeInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}
