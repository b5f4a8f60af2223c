// pulumi-stack.yml's `recover` step: the stale lock of a cancelled run is cancelled, pending operations
// refreshed, anything else stops the job with what to do (tools/pipeline/stale-lock.ts decides).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT } from "../../../project";
import { run, stackNames } from "../cli";
import { append } from "../job";
import {
    cloudLockHolders,
    diyLockHolder,
    diyLockKeys,
    HistoryEntry,
    LockHolder,
    lockDecision,
    PendingOperation,
    pendingDecision,
} from "../stale-lock";

/** Lock holders of the stack on the backend in PULUMI_BACKEND_URL; undefined when it cannot list them. */
function lockHolders(stack: string, ciUser: string): LockHolder[] | undefined {
    const backend = process.env.PULUMI_BACKEND_URL ?? "";
    if (backend === "" || backend.startsWith("https://")) {
        const history = JSON.parse(
            run("pulumi", ["stack", "history", "--json", "--page-size", "5", "--stack", stack]),
        ) as HistoryEntry[];
        return cloudLockHolders(history);
    }
    if (backend.startsWith("gs://")) {
        const root = `${backend.replace(/\/+$/, "")}/.pulumi/locks/`;
        let keys: string[];
        try {
            keys = run("gcloud", ["storage", "ls", `${root}**`])
                .split("\n")
                .filter(Boolean);
        } catch {
            return []; // no lock directory at all: never locked
        }
        return diyLockKeys(keys, PROJECT, stack).map((key) =>
            diyLockHolder(key, run("gcloud", ["storage", "cat", key]), ciUser),
        );
    }
    if (backend.startsWith("file://")) {
        const root = path.join(backend.slice("file://".length).replace(/^~(?=\/)/, os.homedir()), ".pulumi", "locks");
        const keys = fs.existsSync(root)
            ? (fs.readdirSync(root, { recursive: true }) as string[]).map((k) => path.join(root, k))
            : [];
        return diyLockKeys(keys, PROJECT, stack).map((key) => diyLockHolder(key, fs.readFileSync(key, "utf8"), ciUser));
    }
    return undefined;
}

/** Stale lock of a cancelled run → pulumi cancel; pending operations → refresh; the step's exit code. */
export function recoverStep(stack: string): number {
    if (!stackNames().includes(stack)) {
        console.log(`${stack}: no such stack yet, nothing to recover`);
        return 0;
    }
    const notes: string[] = [];
    const holders = lockHolders(stack, os.userInfo().username);
    if (holders === undefined) {
        notes.push(
            `${stack}: this backend's locks cannot be listed here; a stale lock stops the update with its own message`,
        );
    } else {
        const decision = lockDecision(stack, holders, new Date());
        notes.push(decision.message);
        if (decision.action === "stop") return finish(notes, 1);
        if (decision.action === "cancel") console.log(run("pulumi", ["cancel", "--yes", "--stack", stack]));
    }
    const state = JSON.parse(run("pulumi", ["stack", "export", "--stack", stack])) as {
        deployment?: { pending_operations?: PendingOperation[] };
    };
    const pending = pendingDecision(stack, state.deployment?.pending_operations ?? []);
    if (pending.action !== "none") notes.push(pending.message);
    if (pending.action === "stop") return finish(notes, 1);
    if (pending.action === "refresh") {
        console.log(run("pulumi", ["refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", stack]));
    }
    return finish(notes, 0);
}

function finish(notes: readonly string[], code: number): number {
    (code === 0 ? console.log : console.error)(notes.join("\n"));
    append("GITHUB_STEP_SUMMARY", ["```", ...notes, "```"].join("\n"));
    return code;
}
