// Recovery from an interrupted `pulumi up`/`destroy` (a cancelled or timed-out run): is the stack's lock
// stale, and what do its pending operations need. Called by steps/recover.ts (`pipeline recover`), which
// runs in pulumi-stack.yml before every up and destroy, inside the stack's update concurrency group.
//
// Why a CI lock is stale there: every CI operation that locks a stack (up, destroy, refresh, stack rm)
// runs in that group, and GitHub runs one job of a group at a time, so no other CI run can hold it.
// A lock taken by anyone else (a laptop, another automation) may be live and is never removed.

/** Who holds a stack's lock, read from the backend. */
export interface LockHolder {
    /** The lock file's URL (DIY backend) or the update's kind and version (Pulumi Cloud). */
    readonly where: string;
    /** user@host (DIY) or the CI system / author (Pulumi Cloud). */
    readonly who: string;
    readonly since: Date;
    /** Taken by a CI run of this pipeline. */
    readonly ci: boolean;
}

/** The JSON a DIY backend writes to `.pulumi/locks/<stack path>/<id>.json` (pkg/backend/diy/lock.go). */
interface DiyLockContent {
    readonly pid?: number;
    readonly username?: string;
    readonly hostname?: string;
    readonly timestamp?: string;
}

/** A DIY lock file's holder; `ciUser` is the OS user CI runs pulumi as (`runner` on GitHub-hosted runners). */
export function diyLockHolder(where: string, content: string, ciUser: string): LockHolder {
    const lock = JSON.parse(content) as DiyLockContent;
    const since = new Date(lock.timestamp ?? "");
    if (Number.isNaN(since.getTime())) throw new Error(`lock ${where} has no valid timestamp: ${content}`);
    return {
        where,
        who: `${lock.username ?? "?"}@${lock.hostname ?? "?"} (pid ${lock.pid ?? "?"})`,
        since,
        ci: lock.username === ciUser,
    };
}

/**
 * The lock files of `stack` among the keys under a DIY backend's `.pulumi/locks/`: project-scoped
 * (`organization/<project>/<stack>/<id>.json`) or legacy (`<stack>/<id>.json`) layouts.
 */
export function diyLockKeys(keys: readonly string[], project: string, stack: string): string[] {
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const pattern = new RegExp(
        `(^|/)\\.pulumi/locks/(organization/${escape(project)}/)?${escape(stack)}/[^/]+\\.json$`,
    );
    return keys.filter((key) => pattern.test(key));
}

/** An entry of `pulumi stack history --json` (cmd/pulumi/stack/stack_history.go). */
export interface HistoryEntry {
    readonly version: number;
    readonly kind: string;
    readonly startTime: string;
    readonly result?: string;
    readonly environment?: Readonly<Record<string, string>>;
}

/** On Pulumi Cloud the lock is the update still "in-progress"; CI runs record `ci.system` (pkg/backend/updates.go). */
export function cloudLockHolders(history: readonly HistoryEntry[]): LockHolder[] {
    return history
        .filter((entry) => entry.result === "in-progress")
        .map((entry) => {
            const environment = entry.environment ?? {};
            const ci = environment["ci.system"];
            return {
                where: `${entry.kind} #${entry.version}`,
                who: ci === undefined ? (environment["git.author"] ?? "an unknown user") : `CI (${ci})`,
                since: new Date(entry.startTime),
                ci: ci !== undefined,
            };
        });
}

type LockDecision =
    | { readonly action: "proceed"; readonly message: string }
    | { readonly action: "cancel"; readonly message: string }
    | { readonly action: "stop"; readonly message: string };

const describe = (holder: LockHolder, now: Date) =>
    `${holder.where}: ${holder.who}, since ${holder.since.toISOString()} ` +
    `(${Math.max(0, Math.round((now.getTime() - holder.since.getTime()) / 60000))} min ago)`;

/**
 * Whether to run `pulumi cancel` (which, on a DIY backend, deletes every lock file of the stack): only
 * when every holder is a CI run, which the concurrency group proves dead. Anything else stops the job.
 */
export function lockDecision(stack: string, holders: readonly LockHolder[], now: Date): LockDecision {
    if (holders.length === 0) return { action: "proceed", message: `${stack}: no lock` };
    const lines = holders.map((h) => `  ${describe(h, now)}`);
    const others = holders.filter((h) => !h.ci);
    if (others.length === 0) {
        return {
            action: "cancel",
            message: [
                `${stack}: stale lock(s) of an interrupted CI run (no other CI run of this stack can be running):`,
                ...lines,
                "running `pulumi cancel` to remove them",
            ].join("\n"),
        };
    }
    return {
        action: "stop",
        message: [
            `${stack}: locked by someone other than CI, who may still be running an update:`,
            ...lines,
            `wait for them, or, once you are sure nothing runs, \`pulumi cancel --stack ${stack}\` and re-run this job`,
        ].join("\n"),
    };
}

/** An entry of `pending_operations` in `pulumi stack export` (an operation the engine never saw finish). */
export interface PendingOperation {
    readonly resource: { readonly urn: string };
    /** creating, updating, deleting, reading, importing */
    readonly type: string;
}

type PendingDecision =
    | { readonly action: "none" }
    | { readonly action: "refresh"; readonly message: string }
    | { readonly action: "stop"; readonly message: string };

/**
 * After an interruption: `pulumi refresh` reconciles pending updates and deletes with the cluster and
 * the cloud. A pending create may have made a resource the state does not know of; clearing it blindly
 * would orphan that resource, so a person decides (import it, or clear it).
 */
export function pendingDecision(stack: string, pending: readonly PendingOperation[]): PendingDecision {
    if (pending.length === 0) return { action: "none" };
    const lines = pending.map((op) => `  ${op.resource.urn}: interrupted while ${op.type}`);
    const creates = pending.filter((op) => op.type === "creating");
    if (creates.length === 0) {
        return {
            action: "refresh",
            message: [`${stack}: pending operations of an interrupted run:`, ...lines, "running `pulumi refresh`"].join(
                "\n",
            ),
        };
    }
    return {
        action: "stop",
        message: [
            `${stack}: an interrupted run left ${creates.length} pending create(s); the resource may exist without being in the state:`,
            ...lines,
            "check each in the cluster/cloud, then either adopt it:",
            `  pulumi refresh --stack ${stack} --import-pending-creates <urn> <id>`,
            "or, if it does not exist, drop it:",
            `  pulumi refresh --stack ${stack} --clear-pending-creates`,
        ].join("\n"),
    };
}
