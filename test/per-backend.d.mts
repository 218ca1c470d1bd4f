/** See per-backend.mjs. */
export declare const PER_BACKEND_DIRS: readonly string[];
