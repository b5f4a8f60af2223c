/** A record with one entry per key, each made from its key: typed by the keys, which Object.fromEntries is not. */
export function byKey<K extends string, T>(keys: readonly K[], make: (key: K) => T): Record<K, T> {
    return Object.fromEntries(keys.map((key) => [key, make(key)])) as Record<K, T>;
}

/** The keys of a table declared `as const`, typed as its keys. */
export function keysOf<K extends string>(table: Readonly<Record<K, unknown>>): K[] {
    return Object.keys(table) as K[];
}
