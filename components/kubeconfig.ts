import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

/** A kubeconfig for one cluster and one user, as JSON (which every kubeconfig reader accepts). */
export function kubeconfigFor(args: {
    name: string;
    cluster: { server: string; "certificate-authority-data"?: string };
    user: object;
}): string {
    return JSON.stringify(
        {
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: args.name, cluster: args.cluster }],
            contexts: [{ name: args.name, context: { cluster: args.name, user: args.name } }],
            "current-context": args.name,
            users: [{ name: args.name, user: args.user }],
        },
        null,
        2,
    );
}

/** A kubeconfig that authenticates with a bearer token (a ServiceAccount's). */
export function tokenKubeconfig(args: { name: string; server: string; caData: string; token: string }): string {
    return kubeconfigFor({
        name: args.name,
        cluster: { server: args.server, "certificate-authority-data": args.caData },
        user: { token: args.token },
    });
}

/** The API server URL of a kubeconfig context, or undefined when the kubeconfig does not have the context. */
export function contextServer(kubeconfigText: string, context: string): string | undefined {
    const config = parse(kubeconfigText) as {
        contexts?: { name: string; context?: { cluster?: string } }[];
        clusters?: { name: string; cluster?: { server?: string } }[];
    } | null;
    const cluster = config?.contexts?.find((c) => c.name === context)?.context?.cluster;
    return config?.clusters?.find((c) => c.name === cluster)?.cluster?.server;
}

/**
 * The kubeconfig files a client reads, as the Kubernetes provider does: `kubeconfig` (a path, or the file's
 * contents when it spans lines), else each file of $KUBECONFIG, else ~/.kube/config.
 */
export function kubeconfigTexts(kubeconfig: string | undefined): string[] {
    if (kubeconfig !== undefined) return [kubeconfig.includes("\n") ? kubeconfig : fs.readFileSync(kubeconfig, "utf8")];
    const files = (process.env.KUBECONFIG ?? "").split(path.delimiter).filter((f) => f !== "");
    const candidates = files.length > 0 ? files : [path.join(os.homedir(), ".kube", "config")];
    return candidates.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, "utf8"));
}
