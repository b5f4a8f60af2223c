// What a GitHub Actions job gives a step and takes from it: its environment, its output and summary files,
// and the address of its run.
import * as fs from "node:fs";

/** The value of an environment variable the step cannot do without. */
export function requiredEnv(name: string): string {
    const value = process.env[name];
    if (value === undefined || value === "") throw new Error(`${name} is not set`);
    return value;
}

/** Appends to a GitHub Actions file (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) when the job has it. */
export function append(variable: "GITHUB_OUTPUT" | "GITHUB_STEP_SUMMARY", text: string): void {
    const file = process.env[variable];
    if (file !== undefined && file !== "") fs.appendFileSync(file, text.endsWith("\n") ? text : `${text}\n`);
}

/** The web page of this workflow run. */
export const runUrl = (): string =>
    `${process.env.GITHUB_SERVER_URL ?? "https://github.com"}/${requiredEnv("GITHUB_REPOSITORY")}/actions/runs/${requiredEnv("GITHUB_RUN_ID")}`;
