// The GitHub REST API, as the job's token (GITHUB_TOKEN) reaches it.
import { requiredEnv } from "./job";

/** One call of the API; its JSON answer, or an error naming the route and GitHub's answer. */
export async function github<T>(method: string, route: string, body?: object): Promise<T> {
    const response = await fetch(`${process.env.GITHUB_API_URL ?? "https://api.github.com"}${route}`, {
        method,
        headers: {
            authorization: `Bearer ${requiredEnv("GITHUB_TOKEN")}`,
            accept: "application/vnd.github+json",
            "x-github-api-version": "2022-11-28",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`GitHub ${method} ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
}

/** The route of this repository, the one the job runs for. */
export const repositoryRoute = (): string => `/repos/${requiredEnv("GITHUB_REPOSITORY")}`;
