// Review stacks: which pull-request event creates, updates or destroys which stack, which stacks the
// nightly sweep destroys, and the stack config rendered from the committed template.
// Called by .github/workflows/review-stacks.yml and pulumi-stack.yml through steps/review.ts; pure, so
// tests call it directly.

/** The label that asks for a review stack. */
export const REVIEW_LABEL = "review-stack";
const STACK_PATTERN = /^pr-([1-9][0-9]*)$/;

/** The stack, and the namespace in the gke cluster, of pull request `number`. */
export function pullRequestStack(number: number): string {
    if (!Number.isSafeInteger(number) || number < 1) throw new Error(`not a pull request number: ${number}`);
    return `pr-${number}`;
}

/** The pull request of a review stack's name, or undefined when the name is not a review stack's. */
export function pullRequestOf(stack: string): number | undefined {
    const match = STACK_PATTERN.exec(stack.replace(/^.*\//, ""));
    return match === null ? undefined : Number(match[1]);
}

/** The parts of a `pull_request` event the decision reads. */
export interface PullRequestEvent {
    /** opened, synchronize, reopened, labeled, unlabeled, closed, ... */
    readonly action: string;
    readonly number: number;
    /** The label added or removed (labeled/unlabeled only). */
    readonly label?: string;
    /** The pull request's labels after the event. */
    readonly labels: readonly string[];
    /** owner/name of the head repository, and of this repository. */
    readonly headRepository: string;
    readonly repository: string;
}

interface ReviewDecision {
    readonly action: "up" | "destroy" | "none";
    readonly stack: string;
    readonly reason: string;
}

/**
 * What a pull-request event does to its review stack. A fork's pull request gets neither secrets nor an
 * OIDC token on `pull_request`, and must not deploy: it never has a stack, so nothing to create or destroy.
 */
export function reviewDecision(event: PullRequestEvent): ReviewDecision {
    const stack = pullRequestStack(event.number);
    const decide = (action: ReviewDecision["action"], reason: string) => ({ action, stack, reason });
    if (event.headRepository !== event.repository) {
        return decide("none", `pull request from the fork ${event.headRepository}: no secrets, no review stack`);
    }
    const labelled = event.labels.includes(REVIEW_LABEL);
    switch (event.action) {
        case "labeled":
            return event.label === REVIEW_LABEL
                ? decide("up", `labelled ${REVIEW_LABEL}: create ${stack}`)
                : decide("none", `label ${event.label ?? "?"} is not ${REVIEW_LABEL}`);
        case "unlabeled":
            return event.label === REVIEW_LABEL
                ? decide("destroy", `${REVIEW_LABEL} removed: destroy ${stack}`)
                : decide("none", `label ${event.label ?? "?"} is not ${REVIEW_LABEL}`);
        case "synchronize":
        case "reopened":
            return labelled
                ? decide("up", `${event.action} with ${REVIEW_LABEL}: update ${stack}`)
                : decide("none", `no ${REVIEW_LABEL} label`);
        case "closed":
            // Whatever the labels say now: the label may have gone while a destroy failed.
            return decide("destroy", `pull request closed: destroy ${stack} if it exists`);
        default:
            return decide("none", `${event.action} does not change review stacks`);
    }
}

/** A pull request as the sweep sees it; undefined state: GitHub did not answer for it. */
export interface PullRequestState {
    readonly state?: "OPEN" | "CLOSED" | "MERGED";
    readonly labels: readonly string[];
}

/**
 * The review stacks the nightly sweep destroys: those whose pull request is closed or merged, or open
 * without the label (an `unlabeled` or `closed` run that failed). Unknown pull requests are kept.
 */
export function sweepSelection(
    stacks: readonly string[],
    pullRequests: ReadonlyMap<number, PullRequestState>,
): string[] {
    return stacks.filter((stack) => {
        const number = pullRequestOf(stack);
        if (number === undefined) return false;
        const pr = pullRequests.get(number);
        if (pr?.state === undefined) return false;
        return pr.state !== "OPEN" || !pr.labels.includes(REVIEW_LABEL);
    });
}

/** The placeholders of the committed template, each replaced by a value of the run. */
const TEMPLATE_VARIABLES = ["STACK", "CLUSTER_STACK"] as const;
type TemplateValues = Record<(typeof TEMPLATE_VARIABLES)[number], string>;

/** The stack config file of a review stack: the template with `${NAME}` placeholders replaced; unknown ones refused. */
export function renderReviewConfig(template: string, values: TemplateValues): string {
    const unknown = new Set<string>();
    const rendered = template.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
        if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
            unknown.add(name);
            return "";
        }
        return JSON.stringify(values[name as keyof TemplateValues]);
    });
    if (unknown.size > 0) {
        throw new Error(
            `review stack template uses unknown placeholder(s) ${[...unknown].map((n) => `\${${n}}`).join(", ")}; ` +
                `known: ${TEMPLATE_VARIABLES.map((n) => `\${${n}}`).join(", ")}`,
        );
    }
    return rendered;
}
